// Mutants of the event loop policy.
#include "pep3156/policy.hpp"

#include <mutex>

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

/// "A policy defines the notion of context" and "Other policies may behave
/// differently" (decision D-POLICY-5): a framework's policy whose context is
/// the whole process, one loop for every thread, made on demand in any
/// thread until set_event_loop() is called.
class ProcessWidePolicy final : public pep3156::AbstractEventLoopPolicy {
 public:
  explicit ProcessWidePolicy(MakeLoop make_loop) : make_loop_(make_loop) {}
  std::shared_ptr<pep3156::AbstractEventLoop> get_event_loop() override {
    std::lock_guard lock(mutex_);
    if (!loop_ && !set_) loop_ = make_loop_();
    if (!loop_) throw pep3156::RuntimeError("no current event loop in this process");
    return loop_;
  }
  void set_event_loop(std::shared_ptr<pep3156::AbstractEventLoop> loop) override {
    std::lock_guard lock(mutex_);
    set_ = true;
    loop_ = std::move(loop);
  }
  std::shared_ptr<pep3156::AbstractEventLoop> new_event_loop() override { return make_loop_(); }

 private:
  MakeLoop make_loop_;
  std::mutex mutex_;
  bool set_ = false;
  std::shared_ptr<pep3156::AbstractEventLoop> loop_;
};

std::shared_ptr<pep3156::AbstractEventLoopPolicy> process_wide(MakeLoop make_loop) {
  return std::make_shared<ProcessWidePolicy>(make_loop);
}

LOOPCERT_MUTANT({"policy_process_wide", Expect::tolerated, "POLICY-CONTEXT-PER-THREAD",
                 "the adapter's policy has one loop for the whole process, made on demand in any thread",
                 wrap<Unchanged>, nullptr, process_wide});

}  // namespace
}  // namespace conformance::selftest
