// Mutants of the loop's clock and of timer handles: clocks coarser or
// staler than the loop declares, and handles that do not say when.
#include <algorithm>
#include <cmath>
#include <limits>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::TimerHandle;
using pep3156::TimerHandleState;

/// time() is truncated to whole milliseconds while the loop declares the
/// base's resolution: deadlines computed from it lie up to 1 ms early.
class ClockTruncatedToMilliseconds final : public TimerMutant {
 public:
  using TimerMutant::TimerMutant;
  double time() override { return std::floor(inner().time() * 1000) / 1000; }
};
LOOPCERT_MUTANT({"clock_truncated_to_ms", Expect::caught, "LOOP-CALLLATER-ONCE",
                 "time() is truncated to milliseconds, so timers fire up to 1 ms early",
                 wrap<ClockTruncatedToMilliseconds>});

/// time() is read once when run_forever() starts and again only when a
/// timer fires: it stands still across call_soon() callbacks, however long
/// they take.
class ClockFrozenBetweenTimers final : public TimerMutant {
 public:
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  double time() override {
    if (std::isnan(cached_)) cached_ = inner().time();
    return cached_;
  }
  void run_forever() override {
    cached_ = inner().time();
    inner().run_forever();
  }
  TimerHandle call_at(double when, Callback callback) override {
    return inner().call_at(when, [this, callback = std::move(callback)]() mutable {
      cached_ = inner().time();
      callback();
    });
  }

 private:
  double cached_ = std::numeric_limits<double>::quiet_NaN();
};
LOOPCERT_MUTANT({"clock_frozen_between_timers", Expect::caught, "LOOP-TIME-FLOAT",
                 "time() does not advance across call_soon() callbacks", wrap<ClockFrozenBetweenTimers>});

/// call_later() with a delay <= 0 is a call_soon() whose handle says
/// nothing true: when() is 0 and cancel() does not reach the callback.
class NonPositiveDelayWithoutWhen final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_later;
  using ForwardingEventLoop::ForwardingEventLoop;
  TimerHandle call_later(double delay, Callback callback) override {
    if (delay > 0) return inner().call_later(delay, std::move(callback));
    inner().call_soon(std::move(callback));
    return TimerHandle(std::make_shared<TimerHandleState>(0.0, nullptr));
  }
};
LOOPCERT_MUTANT({"nonpositive_delay_without_when", Expect::caught, "LOOP-CALLLATER-HANDLE",
                 "call_later(0) and negative delays return a handle with no true when() that cannot cancel",
                 wrap<NonPositiveDelayWithoutWhen>});

/// Timers run in the order they were scheduled: each deadline is raised to
/// the latest one scheduled before it (late is allowed; the order is not).
class TimersInSchedulingOrder final : public TimerMutant {
 public:
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  TimerHandle call_at(double when, Callback callback) override {
    latest_ = std::max(latest_, when);
    return inner().call_at(latest_, std::move(callback));
  }

 private:
  double latest_ = -std::numeric_limits<double>::infinity();
};
LOOPCERT_MUTANT({"timers_in_scheduling_order", Expect::caught, "LOOP-CALLAT-EQUIV",
                 "timers run in scheduling order, not deadline order", wrap<TimersInSchedulingOrder>});

}  // namespace
}  // namespace conformance::selftest
