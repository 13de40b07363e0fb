// Mutants of stop() and run_until_complete(): loops that stop too late, or
// leave a stop behind for the next run.
#include <algorithm>
#include <limits>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::FuturePtr;
using pep3156::Handle;
using pep3156::TimerHandle;

/// stop() takes effect only once no call_soon() callback is pending: a
/// callback that keeps rescheduling itself keeps the loop running forever.
class StopWaitsForEmptyReadyQueue final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    ++pending_;
    return inner().call_soon([this, callback = std::move(callback)]() mutable {
      --pending_;
      callback();
      stop_if_idle();
    });
  }
  void stop() override {
    stop_requested_ = true;
    stop_if_idle();
  }

 private:
  void stop_if_idle() {
    if (!stop_requested_ || pending_ > 0) return;
    stop_requested_ = false;
    inner().stop();
  }
  int pending_ = 0;
  bool stop_requested_ = false;
};
LOOPCERT_MUTANT({"stop_waits_for_empty_ready_queue", Expect::caught, "LOOP-RUNFOREVER-UNTIL-STOP",
                 "stop() waits until no call_soon() callback is pending", wrap<StopWaitsForEmptyReadyQueue>});

/// stop() is itself scheduled with call_soon(): the loop polls once more and
/// runs what was scheduled after stop() before it stops.
class StopDeferredOneIteration final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void stop() override {
    inner().call_soon([this] { inner().stop(); });
  }
};
LOOPCERT_MUTANT({"stop_deferred_one_iteration", Expect::caught, "LOOP-STOP-NO-POLL-NO-FUTURE-TIMERS",
                 "stop() takes effect one iteration later (polls and runs later callbacks first)",
                 wrap<StopDeferredOneIteration>});

/// stop() takes effect at the latest deadline of the timers scheduled so
/// far: the loop waits for its future timers and runs them before stopping.
class StopWaitsForTimers final : public TimerMutant {
 public:
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  TimerHandle call_at(double when, Callback callback) override {
    latest_ = std::max(latest_, when);
    return inner().call_at(when, std::move(callback));
  }
  void stop() override {
    if (latest_ <= time()) {
      inner().stop();
      return;
    }
    inner().call_at(latest_, [this] { inner().stop(); });
  }

 private:
  double latest_ = -std::numeric_limits<double>::infinity();
};
LOOPCERT_MUTANT({"stop_waits_for_timers", Expect::caught, "LOOP-STOP-NO-POLL-NO-FUTURE-TIMERS",
                 "stop() waits for the last timer scheduled and runs the timers due until then",
                 wrap<StopWaitsForTimers>});

/// run_until_complete() stops the loop from a done-callback it never
/// removes: when a run ends another way (stop() first, an exception), the
/// callback stays behind and stops a later run.
class StaleStopAfterException final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  using ForwardingEventLoop::run_until_complete;
  void run_until_complete(const FuturePtr& future) override {
    future->add_done_callback([this](const FuturePtr&) { stop(); });
    run_forever();
    if (!future->done()) throw pep3156::RuntimeError("Event loop stopped before Future completed.");
    future->result_value();
  }
};
LOOPCERT_MUTANT(
    {"stale_stop_after_exception", Expect::caught, "LOOP-RUNFOREVER-UNTIL-STOP",
     "run_until_complete() leaves its stopping done-callback behind when the run ends another way",
     wrap<StaleStopAfterException>});

/// A nested run_until_complete() returns at once instead of raising.
class NestedRunUntilCompleteReturns final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  using ForwardingEventLoop::run_until_complete;
  void run_until_complete(const FuturePtr& future) override {
    if (is_running()) return;
    ForwardingEventLoop::run_until_complete(future);
  }
};
LOOPCERT_MUTANT({"nested_run_until_complete_returns", Expect::caught, "LOOP-RUC-NOT-REENTRANT",
                 "run_until_complete() inside a running loop returns instead of raising",
                 wrap<NestedRunUntilCompleteReturns>});

/// A nested run_forever() returns at once instead of raising.
class NestedRunForeverReturns final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void run_forever() override {
    if (inner().is_running()) return;
    inner().run_forever();
  }
};
LOOPCERT_MUTANT({"nested_run_forever_returns", Expect::caught, "LOOP-RUNFOREVER-NOT-REENTRANT",
                 "run_forever() inside a running loop returns instead of raising",
                 wrap<NestedRunForeverReturns>});

}  // namespace
}  // namespace conformance::selftest
