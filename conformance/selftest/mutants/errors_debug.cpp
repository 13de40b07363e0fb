// Mutants of error handling and debug mode.
#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;
using pep3156::TimerHandle;

/// A callback's exception reaches the handler, and then stops the loop.
class CallbackExceptionStopsLoop final : public TimerMutant {
 public:
  using ForwardingEventLoop::call_soon;
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  Handle call_soon(Callback callback) override {
    return inner().call_soon(stopping_on_error(std::move(callback)));
  }
  TimerHandle call_at(double when, Callback callback) override {
    return inner().call_at(when, stopping_on_error(std::move(callback)));
  }

 private:
  Callback stopping_on_error(Callback callback) {
    return [this, callback = std::move(callback)]() mutable {
      try {
        callback();
      } catch (const std::exception&) {
        pep3156::ExceptionContext context;
        context.message = "Exception in callback";
        context.exception = std::current_exception();
        call_exception_handler(context);
        stop();
      }
    };
  }
};
LOOPCERT_MUTANT({"callback_exception_stops_loop", Expect::caught, "LOOP-ERR-CALLBACK-EXC-LOGGED",
                 "a callback's exception is reported, then stops the loop",
                 wrap<CallbackExceptionStopsLoop>});

/// get_debug() starts false whatever the environment says.
class DebugEnvironmentIgnored final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  bool get_debug() const override { return debug_; }
  void set_debug(bool enabled) override {
    debug_ = enabled;
    inner().set_debug(enabled);
  }

 private:
  bool debug_ = false;
};
LOOPCERT_MUTANT({"debug_env_ignored", Expect::caught, "LOOP-DEBUG-ENV",
                 "PEP3156_DEBUG does not turn debug mode on", wrap<DebugEnvironmentIgnored>});

/// set_debug() is only remembered: the loop never checks for slow callbacks.
class SlowCallbacksUnreported final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  bool get_debug() const override { return debug_; }
  void set_debug(bool enabled) override { debug_ = enabled; }

 private:
  bool debug_ = false;
};
LOOPCERT_MUTANT({"slow_callbacks_unreported", Expect::caught, "LOOP-DEBUG-SLOW-CALLBACK",
                 "debug mode does not report slow callbacks", wrap<SlowCallbacksUnreported>});

}  // namespace
}  // namespace conformance::selftest
