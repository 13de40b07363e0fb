// Timed callbacks (PEP 3156, "Basic Callbacks": call_later, call_at, time).
//
// Timing checks are one-sided: a timer may fire late (the PEP says
// "approximately"), never early; the loop's declared clock resolution is
// the only tolerance (decision D-CB-2). Timers due at the same time, or in
// the past, run in an order the PEP leaves undefined, which no case assumes.
#include <algorithm>
#include <chrono>
#include <vector>

#include "conformance/conformance.hpp"

using namespace pep3156;

namespace {
// Short delays catch a loop that rounds down; the long one a loop that is
// early by a fraction of the delay, even when it runs late on a busy host.
constexpr double kDelays[] = {0.0005, 0.002, 0.005, 0.01, 0.02, 0.1};

struct Fired {
  double deadline_floor;  // time() before scheduling + delay: the deadline is no earlier
  double fired_at = 0;
  int calls = 0;
};
}  // namespace

LOOPCERT_CASE("timers.call_later.not_early", clauses("LOOP-CALLLATER-ONCE", "LOOP-TIME-FLOAT")) {
  auto loop = ctx.new_loop();
  std::vector<Fired> timers;
  timers.reserve(std::size(kDelays));
  for (double delay : kDelays) {
    timers.push_back(Fired{loop->time() + delay});
    Fired* mine = &timers.back();
    loop->call_later(delay, [mine, &loop] {
      mine->fired_at = loop->time();
      ++mine->calls;
    });
  }
  conformance::stop_when(*loop, [&] {
    return std::all_of(timers.begin(), timers.end(), [](const Fired& f) { return f.calls > 0; });
  });
  ctx.run_forever(*loop, "call_later() timers of 0.5 to 100 ms");
  // Let a timer that would fire twice do so before counting.
  loop->call_later(0.03, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a last timer 30 ms later");
  for (const Fired& f : timers) {
    CHECK_EQUAL(f.calls, 1, "call_later() calls its callback exactly once");
    CHECK_THAT(
        f.fired_at >= f.deadline_floor - ctx.clock_resolution(),
        conformance::str("call_later() never fires before its delay has passed on time()'s clock (fired ",
                         f.deadline_floor - f.fired_at, " s early)"));
  }
}

LOOPCERT_CASE("timers.call_at.not_early", clauses("LOOP-CALLAT-EQUIV", "LOOP-CALLAT-HANDLE")) {
  auto loop = ctx.new_loop();
  std::vector<Fired> timers;
  timers.reserve(std::size(kDelays));
  for (double delay : kDelays) {
    double when = loop->time() + delay;
    timers.push_back(Fired{when});
    Fired* mine = &timers.back();
    TimerHandle handle = loop->call_at(when, [mine, &loop] {
      mine->fired_at = loop->time();
      ++mine->calls;
    });
    CHECK_THAT(static_cast<bool>(handle), "call_at() returns a Handle");
  }
  conformance::stop_when(*loop, [&] {
    return std::all_of(timers.begin(), timers.end(), [](const Fired& f) { return f.calls > 0; });
  });
  ctx.run_forever(*loop, "call_at() timers 0.5 to 100 ms ahead");
  for (const Fired& f : timers) {
    CHECK_EQUAL(f.calls, 1, "call_at() calls its callback once");
    CHECK_THAT(f.fired_at >= f.deadline_floor - ctx.clock_resolution(),
               conformance::str("call_at(when) never fires before time() reaches when (fired ",
                                f.deadline_floor - f.fired_at, " s early)"));
  }
}

LOOPCERT_CASE("timers.call_later.not_early_real_time", clauses("LOOP-CALLLATER-ONCE", "LOOP-TIME-UNITS")) {
  // Delays are seconds of real time, not only of the loop's own clock.
  auto loop = ctx.new_loop();
  constexpr double kDelay = 0.02;
  auto scheduled = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point fired{};
  loop->call_later(kDelay, [&] {
    fired = std::chrono::steady_clock::now();
    loop->stop();
  });
  ctx.run_forever(*loop, "a 20 ms call_later() timer");
  double elapsed = std::chrono::duration<double>(fired - scheduled).count();
  CHECK_THAT(
      elapsed >= kDelay - ctx.clock_resolution(),
      conformance::str("call_later(0.02) waits at least 20 ms of real time (waited ", elapsed * 1e3, " ms)"));
}

LOOPCERT_CASE("timers.same_time.any_order", clauses("LOOP-CALLLATER-SAME-TIME-UNORDERED").tolerance()) {
  // Timers due at the same time, and timers due in the past, may run in any
  // order: every order passes, as long as each runs once.
  auto loop = ctx.new_loop();
  std::vector<int> ran;
  double when = loop->time() + 0.002;
  for (int i = 0; i < 4; ++i) loop->call_at(when, [&ran, i] { ran.push_back(i); });
  for (int i = 4; i < 7; ++i) loop->call_later(0.0, [&ran, i] { ran.push_back(i); });
  for (int i = 7; i < 10; ++i) loop->call_later(-1.0, [&ran, i] { ran.push_back(i); });
  conformance::stop_when(*loop, [&] { return ran.size() >= 10; });
  ctx.run_forever(*loop, "ten timers due together or in the past");
  std::sort(ran.begin(), ran.end());
  CHECK_THAT(ran == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
             "timers due at the same time each run once, in whatever order");
}

LOOPCERT_CASE("timers.handle.cancel_prevents_call", clauses("LOOP-CALLLATER-HANDLE", "LOOP-CALLAT-HANDLE")) {
  auto loop = ctx.new_loop();
  int cancelled_calls = 0;
  TimerHandle later = loop->call_later(0.001, [&] { ++cancelled_calls; });
  TimerHandle at = loop->call_at(loop->time() + 0.001, [&] { ++cancelled_calls; });
  REQUIRE_THAT(later && at, "call_later() and call_at() return Handles");
  later.cancel();
  at.cancel();
  // Two timers due together, each cancelling the other: whichever the loop
  // runs first, the other must not run.
  int rivals = 0;
  TimerHandle first, second;
  double when = loop->time() + 0.002;
  first = loop->call_at(when, [&] {
    ++rivals;
    second.cancel();
  });
  second = loop->call_at(when, [&] {
    ++rivals;
    first.cancel();
  });
  conformance::stop_when(*loop, [&] { return rivals > 0; });
  ctx.run_forever(*loop, "timers, some cancelled");
  // Give a timer that ignores its cancellation the time to show it.
  loop->call_later(0.005, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a last timer 5 ms later");
  CHECK_EQUAL(cancelled_calls, 0, "a timer cancelled before it is due never runs");
  CHECK_EQUAL(rivals, 1, "a timer cancelled by another due at the same time does not run");
}
