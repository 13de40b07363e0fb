// The loop's clock and timer deadlines (PEP 3156, "Basic Callbacks":
// call_later, call_at, time; decisions D-CB-1, D-CB-2, D-CB-3, D-HANDLE-1).
//
// A TimerHandle's when() is the loop time the callback is due: time() +
// delay for call_later(), zero and negative delays included. A timer never
// runs before when() less the declared clock resolution (the only
// tolerance). The clock's epoch is the loop's own: time() is compared only
// with the loop's deadlines and with durations, never with a wall clock.
#include <chrono>
#include <cmath>
#include <type_traits>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::busy_wait;
using conformance::seconds_since;
using conformance::str;
using Clock = std::chrono::steady_clock;

namespace {
/// Delays that are not whole milliseconds, so that a clock or a poll
/// timeout truncated to milliseconds fires some of them early.
constexpr double kOddDelays[] = {0.0003, 0.0007, 0.0012, 0.0019, 0.0026, 0.0041, 0.0058, 0.0083, 0.0117};

/// Checks that `handle.when()` is `delay` after a time() read in [before, after].
void check_when(const TimerHandle& handle, double before, double after, double delay, const char* what) {
  double when = handle.when();
  CHECK_THAT(
      when >= before + delay && when <= after + delay,
      str(what, ": when() is time() + delay (delay ", delay, ", when() - time() = ", when - before, ")"));
}
}  // namespace

LOOPCERT_CASE("timers.when.call_later_is_time_plus_delay",
              clauses("LOOP-CALLLATER-HANDLE", "LOOP-CALLAT-EQUIV").extension("D-HANDLE-1")) {
  // Zero and negative delays too (decision D-HANDLE-1): call_later(0) is a
  // timer due now, not a call_soon() with no deadline. The PEP's Handles
  // have no when() (asyncio's): an extension.
  auto loop = ctx.new_loop();
  for (double delay : {0.5, 0.001, 0.0, -0.001, -1.0}) {
    double before = loop->time();
    TimerHandle handle = loop->call_later(delay, [] {});
    double after = loop->time();
    REQUIRE_THAT(static_cast<bool>(handle), "call_later() returns a TimerHandle");
    check_when(handle, before, after, delay, "call_later()");
    handle.cancel();
  }
}

LOOPCERT_CASE("timers.when.call_at_is_when", clauses("LOOP-CALLAT-HANDLE", "LOOP-CALLAT-EQUIV")) {
  auto loop = ctx.new_loop();
  double now = loop->time();
  for (double when : {now + 0.5, now, now - 1.0}) {
    TimerHandle handle = loop->call_at(when, [] {});
    REQUIRE_THAT(static_cast<bool>(handle), "call_at() returns a TimerHandle");
    CHECK_EQUAL(handle.when(), when, "call_at(when) returns a TimerHandle whose when() is `when`");
    handle.cancel();
  }
}

LOOPCERT_CASE("timers.when.integer_and_chrono_delays", clauses("LOOP-TIME-UNITS", "LOOP-CALLLATER-HANDLE")) {
  // "All timeouts, intervals and delays are measured in seconds, and may be
  // ints or floats"; a std::chrono duration converts (decision D-CB-3).
  auto loop = ctx.new_loop();
  double before = loop->time();
  TimerHandle whole_seconds = loop->call_later(2, [] {});
  double after = loop->time();
  check_when(whole_seconds, before, after, 2.0, "call_later(2)");
  before = loop->time();
  TimerHandle chrono = loop->call_later(std::chrono::milliseconds(250), [] {});
  after = loop->time();
  check_when(chrono, before, after, 0.25, "call_later(250ms)");
  whole_seconds.cancel();
  chrono.cancel();
}

LOOPCERT_CASE("timers.call_later.nonpositive_delays_run_once",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-CALLLATER-HANDLE", "LOOP-CALLAT-EQUIV")) {
  // A timer due now or in the past runs soon, once; its handle cancels it.
  auto loop = ctx.new_loop();
  int runs[3] = {0, 0, 0};
  loop->call_later(0.0, [&] { ++runs[0]; });
  loop->call_later(-1.0, [&] { ++runs[1]; });
  loop->call_at(loop->time() - 10.0, [&] { ++runs[2]; });
  int cancelled_runs = 0;
  TimerHandle zero = loop->call_later(0.0, [&] { ++cancelled_runs; });
  TimerHandle negative = loop->call_later(-1.0, [&] { ++cancelled_runs; });
  zero.cancel();
  negative.cancel();
  conformance::stop_when(*loop, [&] { return runs[0] && runs[1] && runs[2]; });
  ctx.run_forever(*loop, "three timers due now or in the past");
  loop->call_later(0.002, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a last timer, so that a timer running twice shows");
  CHECK_THAT(runs[0] == 1 && runs[1] == 1 && runs[2] == 1,
             str("call_later(0), call_later(-1) and call_at(past) each run exactly once (ran ", runs[0], ", ",
                 runs[1], ", ", runs[2], " times)"));
  CHECK_EQUAL(cancelled_runs, 0,
              "cancelling the handle of call_later(0) or call_later(-1) prevents the call");
}

LOOPCERT_CASE("timers.call_later.not_before_when", clauses("LOOP-CALLLATER-ONCE", "LOOP-CALLAT-EQUIV")) {
  // Decision D-CB-2 as stated: the callback observes time() >= when() -
  // clock resolution.
  auto loop = ctx.new_loop();
  struct Seen {
    TimerHandle handle;
    double at = 0;
  };
  std::vector<Seen> seen(std::size(kOddDelays) * 2);
  std::size_t fired = 0;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    double delay = kOddDelays[i % std::size(kOddDelays)];
    auto record = [&, i] {
      seen[i].at = loop->time();
      ++fired;
    };
    seen[i].handle =
        i % 2 == 0 ? loop->call_later(delay, record) : loop->call_at(loop->time() + delay, record);
  }
  conformance::stop_when(*loop, [&] { return fired == seen.size(); });
  ctx.run_forever(*loop, "timers due 0.3 to 11.7 ms ahead");
  for (const Seen& s : seen) {
    double early = s.handle.when() - s.at;
    CHECK_THAT(early <= ctx.clock_resolution(),
               str("a timer runs no earlier than its when() less the clock resolution (ran ", early * 1e6,
                   " us early; resolution ", ctx.clock_resolution() * 1e6, " us)"));
  }
}

LOOPCERT_CASE("timers.call_later.not_early_in_real_time", clauses("LOOP-CALLLATER-ONCE", "LOOP-TIME-UNITS")) {
  // The same against real time: a loop whose clock is coarser than it
  // declares (truncated to milliseconds, say) computes deadlines that lie
  // up to a tick in the past.
  auto loop = ctx.new_loop();
  std::vector<double> elapsed(std::size(kOddDelays), -1);
  std::size_t fired = 0;
  auto scheduled = Clock::now();
  for (std::size_t i = 0; i < std::size(kOddDelays); ++i) {
    loop->call_later(kOddDelays[i], [&, i] {
      elapsed[i] = seconds_since(scheduled);
      ++fired;
    });
  }
  conformance::stop_when(*loop, [&] { return fired == elapsed.size(); });
  ctx.run_forever(*loop, "timers due 0.3 to 11.7 ms ahead");
  for (std::size_t i = 0; i < elapsed.size(); ++i) {
    CHECK_THAT(elapsed[i] >= kOddDelays[i] - ctx.clock_resolution(),
               str("call_later(", kOddDelays[i], ") waits at least that long in real time (waited ",
                   elapsed[i] * 1e3, " ms)"));
  }
}

LOOPCERT_CASE("timers.call_later.delay_counts_from_the_call",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-TIME-FLOAT")) {
  // A callback blocks for 10 ms, then schedules a 20 ms timer: the delay
  // counts from the call_later() call, not from when the callback started
  // (a loop that reads its clock once per iteration fires it 10 ms early).
  constexpr double kBlock = 0.01;
  constexpr double kDelay = 0.02;
  auto loop = ctx.new_loop();
  Clock::time_point scheduled{};
  double waited = -1;
  loop->call_soon([&] {
    busy_wait(kBlock);
    scheduled = Clock::now();
    loop->call_later(kDelay, [&] {
      waited = seconds_since(scheduled);
      loop->stop();
    });
  });
  ctx.run_forever(*loop, "a 20 ms timer scheduled at the end of a 10 ms callback");
  CHECK_THAT(waited >= kDelay - ctx.clock_resolution(),
             str("call_later(0.02) from a callback that had blocked 10 ms waits 20 ms from the call (waited ",
                 waited * 1e3, " ms)"));
}

LOOPCERT_CASE("timers.time.advances_across_blocking_callback", clauses("LOOP-TIME-FLOAT")) {
  // time() is "the current time according to the event loop's clock": read
  // in the next callback after one that blocked 5 ms, it has moved on.
  constexpr double kBlock = 0.005;
  auto loop = ctx.new_loop();
  double before = 0;
  double after = 0;
  loop->call_soon([&] {
    before = loop->time();
    busy_wait(kBlock);
  });
  loop->call_soon([&] {
    after = loop->time();
    loop->stop();
  });
  ctx.run_forever(*loop, "a callback that blocks 5 ms, then one that reads time()");
  CHECK_THAT(after - before >= kBlock - ctx.clock_resolution(),
             str("time() advanced by at least the 5 ms the previous callback blocked (advanced ",
                 (after - before) * 1e3, " ms)"));
}

LOOPCERT_CASE("timers.time.counts_seconds", clauses("LOOP-TIME-UNITS", "LOOP-TIME-FLOAT")) {
  // time() is a float of "approximately one second" units: over 20 ms of
  // real time it advances about 0.02 (not 20, not 2e7). Bracketed by
  // steady_clock reads on both sides, with 1% for a clock that is slewed
  // and the declared resolution.
  static_assert(std::is_floating_point_v<decltype(std::declval<AbstractEventLoop&>().time())>,
                "time() returns a floating-point number");
  constexpr double kSpan = 0.02;
  auto loop = ctx.new_loop();
  auto r0 = Clock::now();
  double t0 = loop->time();
  auto r1 = Clock::now();
  busy_wait(kSpan);
  auto r2 = Clock::now();
  double t1 = loop->time();
  auto r3 = Clock::now();
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  double advanced = t1 - t0;
  double res = ctx.clock_resolution();
  CHECK_THAT(std::isfinite(t0) && std::isfinite(t1), "time() is a finite number");
  CHECK_THAT(advanced >= seconds(r2 - r1) * 0.99 - res && advanced <= seconds(r3 - r0) * 1.01 + res,
             str("time() counts seconds: over ", seconds(r2 - r1), " to ", seconds(r3 - r0),
                 " s of real time it advanced ", advanced));
}
