// Mutants of the timed callbacks, and the timing freedoms the PEP grants.
#include <map>
#include <memory>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::TimerHandle;

/// Every timer's deadline goes through `shifted()`. Its handle still says
/// the deadline asked for (decision D-HANDLE-1): only when the callback
/// runs changes.
class TimerShift : public TimerMutant {
 public:
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  TimerHandle call_at(double when, Callback callback) override {
    return TimerHandle(
        std::make_shared<ShiftedTimer>(when, inner().call_at(shifted(when), std::move(callback))));
  }

 protected:
  virtual double shifted(double when) = 0;

 private:
  /// The handle the caller gets: the deadline asked for, cancelling the
  /// shifted timer.
  class ShiftedTimer final : public pep3156::TimerHandleState {
   public:
    ShiftedTimer(double when, TimerHandle shifted) : TimerHandleState(when, nullptr), shifted_(shifted) {}

   private:
    void on_cancel() noexcept override { shifted_.cancel(); }
    TimerHandle shifted_;
  };
};

/// Timers fire halfway to their deadline (a delay taken in the wrong
/// unit). Early by half the delay, so that even a loop running late on a
/// busy machine shows it on the longer timers.
class TimersEarly final : public TimerShift {
 public:
  using TimerShift::TimerShift;

 private:
  double shifted(double when) override {
    double now = time();
    return when > now ? now + (when - now) / 2 : when;
  }
};
LOOPCERT_MUTANT({"timers_early", Expect::caught, "LOOP-CALLLATER-ONCE",
                 "timers fire halfway to their deadline", wrap<TimersEarly>});

/// Timers fire 5 ms after their deadline: "approximately" allows it.
class TimersLate final : public TimerShift {
 public:
  using TimerShift::TimerShift;

 private:
  double shifted(double when) override { return when + 0.005; }
};
LOOPCERT_MUTANT({"timers_late", Expect::tolerated, "LOOP-CALLLATER-ONCE",
                 "timers fire 5 ms after their deadline (allowed: \"approximately\")", wrap<TimersLate>});

/// Timers due at the same time run last-scheduled first (each is made a
/// little later than the one scheduled after it, by at most a microsecond).
class SameTimeReversed final : public TimerShift {
 public:
  using TimerShift::TimerShift;

 private:
  double shifted(double when) override {
    int order = scheduled_[when]++;
    return when + (1000 - order % 1000) * 1e-9;
  }
  std::map<double, int> scheduled_;
};
LOOPCERT_MUTANT({"same_time_timers_reversed", Expect::tolerated, "LOOP-CALLLATER-SAME-TIME-UNORDERED",
                 "timers due at the same time run last-scheduled first (allowed)", wrap<SameTimeReversed>});

/// Every timer fires twice.
class TimersTwice final : public TimerMutant {
 public:
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  TimerHandle call_at(double when, Callback callback) override {
    auto shared = std::make_shared<Callback>(std::move(callback));
    inner().call_at(when, [shared] { (*shared)(); });
    return inner().call_at(when + 0.001, [shared] { (*shared)(); });
  }
};
LOOPCERT_MUTANT({"timers_fire_twice", Expect::caught, "LOOP-CALLLATER-ONCE", "every timer fires twice",
                 wrap<TimersTwice>});

}  // namespace
}  // namespace conformance::selftest
