// Mutants of the event loop policy.
#include "pep3156/policy.hpp"

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

/// A policy that forgets: set_event_loop() is ignored and get_event_loop()
/// makes a new loop every time.
class ForgetfulPolicy final : public pep3156::AbstractEventLoopPolicy {
 public:
  explicit ForgetfulPolicy(MakeLoop make_loop) : make_loop_(make_loop) {}
  std::shared_ptr<pep3156::AbstractEventLoop> get_event_loop() override { return new_event_loop(); }
  void set_event_loop(std::shared_ptr<pep3156::AbstractEventLoop>) override {}
  std::shared_ptr<pep3156::AbstractEventLoop> new_event_loop() override { return make_loop_(); }

 private:
  MakeLoop make_loop_;
};

struct Unchanged final : pep3156::ForwardingEventLoop {
  using ForwardingEventLoop::ForwardingEventLoop;
};

std::shared_ptr<pep3156::AbstractEventLoopPolicy> forgetful(MakeLoop make_loop) {
  return std::make_shared<ForgetfulPolicy>(make_loop);
}

LOOPCERT_MUTANT({"policy_forgets_loop", Expect::caught, "POLICY-SET-THEN-GET",
                 "the policy ignores set_event_loop()", wrap<Unchanged>, nullptr, forgetful});

}  // namespace
}  // namespace conformance::selftest
