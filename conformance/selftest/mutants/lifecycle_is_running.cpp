// Mutant of is_running() asked from callbacks other than call_soon()'s.
#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// is_running() is false inside timer, I/O and signal callbacks: the loop
/// sets its flag only around the dispatch of its ready queue.
class NotRunningInEventCallbacks final : public CallbackMutant {
 public:
  using CallbackMutant::CallbackMutant;

  bool is_running() const override { return !in_event_callback_ && inner().is_running(); }

 private:
  Callback wrapped(Kind kind, Callback callback) override {
    if (kind == Kind::soon || kind == Kind::threadsafe) return callback;
    return [this, callback = std::move(callback)]() mutable {
      in_event_callback_ = true;
      callback();
      in_event_callback_ = false;
    };
  }
  bool in_event_callback_ = false;
};
LOOPCERT_MUTANT({"not_running_in_event_callbacks", Expect::caught, "LOOP-ISRUNNING",
                 "is_running() is false inside timer, I/O and signal callbacks",
                 wrap<NotRunningInEventCallbacks>});

}  // namespace
}  // namespace conformance::selftest
