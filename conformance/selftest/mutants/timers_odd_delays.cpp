// Mutant of timers with huge, infinite or NaN delays.
#include <cmath>
#include <cstdint>
#include <limits>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::TimerHandle;

/// Deadlines are kept as 64-bit counts of nanoseconds. A deadline out of
/// range (inf, 1e300, NaN) converts the way x86's cvttsd2si does, to the
/// smallest count: far in the past, so the timer fires at once.
class DeadlineOverflowsToPast final : public TimerMutant {
 public:
  using TimerMutant::call_at;
  using TimerMutant::TimerMutant;
  TimerHandle call_at(double when, Callback callback) override {
    return inner().call_at(static_cast<double>(to_nanoseconds(when)) / 1e9, std::move(callback));
  }

 private:
  static std::int64_t to_nanoseconds(double seconds) {
    double ns = seconds * 1e9;
    constexpr double kLimit = 0x1p63;
    if (std::isnan(ns) || ns >= kLimit || ns < -kLimit) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(ns);
  }
};
LOOPCERT_MUTANT({"deadline_overflows_to_past", Expect::caught, "LOOP-CALLLATER-ONCE",
                 "a deadline beyond 2**63 ns (inf, 1e300, NaN) overflows into the past and fires at once",
                 wrap<DeadlineOverflowsToPast>});

}  // namespace
}  // namespace conformance::selftest
