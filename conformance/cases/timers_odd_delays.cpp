// Huge, infinite, NaN and far-past delays (PEP 3156, "Basic Callbacks":
// call_later, call_at; "Specifying Times"; decision D-CB-6).
//
// A loop that turns a delay into an integer count of nanoseconds or
// milliseconds overflows on these (undefined behaviour: a timer that fires
// at once, a poll that never wakes, a crash). What the kit accepts is in
// D-CB-6: a delay no clock reaches (inf, 1e300, 2**55 s, NaN) is refused
// with a ValueError-like error or accepted and never fires; a deadline in
// the past, however far, runs once, soon (-inf may also be refused).
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::str;

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

struct OddDelay {
  const char* name;
  double delay;
};

/// Delays no clock reaches within the case (2**55 s is a billion years).
const OddDelay kUnreachable[] = {{"inf", kInfinity},
                                 {"1e300", 1e300},
                                 {"2**55", 0x1p55},
                                 {"NaN", std::numeric_limits<double>::quiet_NaN()}};

/// Whether the exception being handled is one D-CB-6 accepts for a delay
/// out of range: ValueError, or the standard library's range and argument
/// errors (Python's OverflowError).
bool is_refusal() {
  try {
    throw;
  } catch (const ValueError&) {
    return true;
  } catch (const std::out_of_range&) {
    return true;
  } catch (const std::overflow_error&) {
    return true;
  } catch (const std::invalid_argument&) {
    return true;
  } catch (const std::domain_error&) {
    return true;
  } catch (...) {
    return false;
  }
}

/// Schedules `callback` `delay` seconds ahead, with call_later() or with
/// call_at(); returns the handle, or an empty one if the loop refused the
/// delay with an error D-CB-6 accepts (any other error fails the case).
TimerHandle schedule(AbstractEventLoop& loop, bool with_call_at, const OddDelay& odd, Callback callback) {
  try {
    return with_call_at ? loop.call_at(loop.time() + odd.delay, std::move(callback))
                        : loop.call_later(odd.delay, std::move(callback));
  } catch (...) {
    CHECK_THAT(is_refusal(), str(with_call_at ? "call_at(time() + " : "call_later(", odd.name,
                                 ") either schedules the timer or raises a ValueError-like error (raised: ",
                                 conformance::exception_what(std::current_exception()), ")"));
    return TimerHandle();
  }
}

}  // namespace

LOOPCERT_CASE("timers.odd_delays.unreachable_never_fire",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-CALLAT-EQUIV", "LOOP-TIME-UNITS",
                      "LOOP-THREADSAFE-WAKEUP")) {
  // The timers are all the idle loop has: it must neither fire them nor
  // stop waking up (a poll timeout that overflowed to "forever" or to an
  // error), so a later short timer and a post from another thread still
  // get through.
  auto loop = ctx.new_loop();
  std::vector<std::string> fired;
  std::vector<TimerHandle> accepted;
  for (bool with_call_at : {false, true}) {
    for (const OddDelay& odd : kUnreachable) {
      std::string what = str(with_call_at ? "call_at(time() + " : "call_later(", odd.name, ")");
      TimerHandle handle = schedule(*loop, with_call_at, odd, [&fired, what] { fired.push_back(what); });
      if (handle) accepted.push_back(handle);
    }
  }
  bool short_timer_ran = false;
  loop->call_later(0.02, [&] { short_timer_ran = true; });
  conformance::run_until(
      ctx, *loop, [&] { return short_timer_ran; }, "a 20 ms timer after unreachable ones");
  std::jthread poster([&] {
    ctx.wait_until_loop_blocked();
    loop->call_soon_threadsafe([&] { loop->stop(); });
  });
  ctx.run_forever(*loop, "a call_soon_threadsafe(stop) while only unreachable timers are pending");
  conformance::join(ctx, poster, "the thread posting stop()");
  for (TimerHandle& handle : accepted) handle.cancel();
  CHECK_THAT(fired.empty(),
             str("a timer whose delay no clock reaches never fires (fired: ",
                 fired.empty() ? std::string() : fired.front(), fired.size() > 1 ? ", ..." : "", ")"));
}

LOOPCERT_CASE("timers.odd_delays.far_past_runs_once",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-CALLAT-EQUIV", "LOOP-TIME-UNITS")) {
  // Deadlines long gone are "scheduled in the past": each runs once, soon.
  // Only -inf, which is no time at all, may be refused instead.
  const OddDelay past[] = {{"-1e300", -1e300}, {"-2**55", -0x1p55}, {"-inf", -kInfinity}};
  auto loop = ctx.new_loop();
  std::vector<int> runs;
  std::vector<std::string> names;
  for (bool with_call_at : {false, true}) {
    for (const OddDelay& odd : past) {
      std::size_t mine = runs.size();
      runs.push_back(0);
      names.push_back(str(with_call_at ? "call_at(time() + " : "call_later(", odd.name, ")"));
      TimerHandle handle = schedule(*loop, with_call_at, odd, [&runs, mine] { ++runs[mine]; });
      if (!handle) {
        CHECK_THAT(std::isinf(odd.delay),
                   str(names[mine], " is a time in the past: it runs, it is not refused"));
        runs[mine] = -1;  // refused (allowed for -inf only)
      }
    }
  }
  auto all_ran = [&] {
    for (int r : runs)
      if (r == 0) return false;
    return true;
  };
  conformance::run_until(ctx, *loop, all_ran, "timers due in the far past");
  loop->call_later(0.005, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a last timer, so that a timer running twice shows");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i] == -1) continue;
    CHECK_EQUAL(runs[i], 1, str(names[i], " runs exactly once"));
  }
}
