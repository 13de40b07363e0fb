// Mutants of the signal handlers.
#include <signal.h>

#include <map>
#include <memory>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// The callback runs inside the C signal handler, in whatever the process
/// was doing when the signal came: not a loop callback at all.
class SignalCallbackInHandler final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_signal_handler;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_signal_handler(int sig, Callback callback) override {
    if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
      throw pep3156::ValueError("invalid signal");
    callbacks()[sig] = std::make_shared<Callback>(std::move(callback));
    struct sigaction action {};
    action.sa_handler = [](int caught) { (*callbacks()[caught])(); };
    ::sigaction(sig, &action, nullptr);
  }
  bool remove_signal_handler(int sig) override {
    if (callbacks().erase(sig) == 0) return false;
    ::signal(sig, SIG_DFL);
    return true;
  }

 private:
  static std::map<int, std::shared_ptr<Callback>>& callbacks() {
    static std::map<int, std::shared_ptr<Callback>> all;
    return all;
  }
};
LOOPCERT_MUTANT({"signal_callback_in_handler", Expect::caught, "LOOP-SIGNAL-ADD",
                 "the signal's callback runs inside the C signal handler", wrap<SignalCallbackInHandler>});

/// A second add_signal_handler() for a signal keeps the first callback.
class SignalHandlerKeepsFirst final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_signal_handler;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_signal_handler(int sig, Callback callback) override {
    if (handled_.count(sig) != 0) return;
    inner().add_signal_handler(sig, std::move(callback));
    handled_[sig] = true;
  }
  bool remove_signal_handler(int sig) override {
    handled_.erase(sig);
    return inner().remove_signal_handler(sig);
  }

 private:
  std::map<int, bool> handled_;
};
LOOPCERT_MUTANT({"signal_handler_keeps_first", Expect::caught, "LOOP-SIGNAL-REPLACE",
                 "a second add_signal_handler() for the same signal is ignored",
                 wrap<SignalHandlerKeepsFirst>});

/// Invalid and uncatchable signal numbers are ignored instead of refused.
class InvalidSignalsIgnored final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_signal_handler;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_signal_handler(int sig, Callback callback) override {
    if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP) return;
    inner().add_signal_handler(sig, std::move(callback));
  }
};
LOOPCERT_MUTANT({"invalid_signals_ignored", Expect::caught, "LOOP-SIGNAL-VALUEERROR",
                 "add_signal_handler() ignores invalid and uncatchable signals instead of raising ValueError",
                 wrap<InvalidSignalsIgnored>});

/// RuntimeError, asyncio's answer, for an uncatchable signal, where the add
/// sentence says ValueError (decision D-SIG-1: that sentence wins).
class UncatchableRuntimeError final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_signal_handler;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_signal_handler(int sig, Callback callback) override {
    if (sig == SIGKILL || sig == SIGSTOP) throw pep3156::RuntimeError("cannot catch this signal");
    inner().add_signal_handler(sig, std::move(callback));
  }
};
LOOPCERT_MUTANT({"uncatchable_signal_runtime_error", Expect::caught, "LOOP-SIGNAL-VALUEERROR",
                 "add_signal_handler(SIGKILL) raises RuntimeError instead of ValueError",
                 wrap<UncatchableRuntimeError>});

/// Declares no signals, yet add_signal_handler() neither works nor refuses.
class SignalsSilentlyMissing final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_signal_handler;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_signal_handler(int, Callback) override {}
  bool remove_signal_handler(int) override { return false; }
};
LOOPCERT_MUTANT({"signals_undeclared_silent", Expect::caught, "TIER-OPTIONAL-NIE",
                 "declares no signals, but add_signal_handler() raises neither NotImplementedError nor "
                 "RuntimeError",
                 wrap<SignalsSilentlyMissing>, without<pep3156::Category::signals>});

}  // namespace
}  // namespace conformance::selftest
