// sleep() (PEP 3156, "Sleeping"): "The coroutine asyncio.sleep(delay)
// returns after a given time delay", and the loop runs everything else
// meanwhile. "Not before" is checked with the loop's declared clock
// resolution as the only tolerance (decision D-CB-2); "not much after" is
// never asserted.
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::kBothKinds;
using library_support::start_task;
using library_support::task_says;

namespace {
/// The loop time before and after sleep(delay).
Coroutine<std::vector<double>> time_sleep(double delay) {
  AbstractEventLoop& loop = co_await this_loop();
  double before = loop.time();
  co_await sleep(delay);
  co_return std::vector<double>{before, loop.time()};
}

struct SleeperLog {
  bool sleeping = false;
  bool woke = false;
};
Coroutine<void> sleeps_an_hour(SleeperLog* log) {
  log->sleeping = true;
  co_await sleep(3600.0);
  log->woke = true;
}

/// Counts its steps while `sleeper` sleeps, then cancels it.
Coroutine<int> works_while_asleep(Task<void> sleeper, const SleeperLog* log) {
  int steps_while_asleep = 0;
  for (int i = 0; i < 5; ++i) {
    if (log->sleeping && !sleeper.done()) ++steps_while_asleep;
    co_await yield_now();
  }
  sleeper.cancel();
  co_return steps_while_asleep;
}

Coroutine<bool> sleep_zero_lets_ready_callbacks_run() {
  AbstractEventLoop& loop = co_await this_loop();
  bool ran = false;
  loop.call_soon([&ran] { ran = true; });
  co_await sleep(0.0);
  co_return ran;
}

Coroutine<int> sleep_with_result() { co_return co_await sleep(0.001, 55); }
}  // namespace

LOOPCERT_CASE("coroutines.sleep.not_before_the_delay", clauses("SLEEP")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    const double delay = 0.02;
    auto times = ctx.run_until_complete(*loop, start_task(kind, *loop, time_sleep(delay)), "sleep(0.02)");
    double slept = times[1] - times[0];
    CHECK_THAT(
        slept >= delay - ctx.clock_resolution(),
        task_says(kind, conformance::str("sleep(", delay, ") returned after ", slept,
                                         " s of loop time: not before the delay less the clock resolution")));
  }
}

LOOPCERT_CASE("coroutines.sleep.other_tasks_and_callbacks_run_meanwhile", clauses("SLEEP")) {
  // One Task sleeps for an hour; the loop goes on running another Task and
  // call_soon() callbacks, and that Task ends the sleep.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    SleeperLog log;
    Task<void> sleeper = start_task(kind, *loop, sleeps_an_hour(&log));
    Task<int> worker = start_task(kind, *loop, works_while_asleep(sleeper, &log));
    bool soon_ran_while_asleep = false;
    loop->call_soon(
        [&] { loop->call_soon([&] { soon_ran_while_asleep = log.sleeping && !sleeper.done(); }); });
    int steps = ctx.run_until_complete(*loop, worker, "a Task working while another sleeps");
    ctx.expect_throw<CancelledError>([&] { ctx.run_until_complete(*loop, sleeper, "the cancelled sleeper"); },
                                     task_says(kind, "the sleeper, cancelled"));
    CHECK_THAT(steps >= 4, task_says(kind, conformance::str("another Task ran while one slept (", steps,
                                                            " of 5 steps)")));
    CHECK_THAT(soon_ran_while_asleep, task_says(kind, "call_soon() callbacks run while a Task sleeps"));
    CHECK_THAT(!log.woke, task_says(kind, "the sleeper did not wake before its delay"));
  }
}

LOOPCERT_CASE("coroutines.sleep.zero_yields_to_ready_callbacks", clauses("SLEEP")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CHECK_THAT(ctx.run_until_complete(*loop, start_task(kind, *loop, sleep_zero_lets_ready_callbacks_run()),
                                      "sleep(0)"),
               task_says(kind, "sleep(0) lets the callbacks already scheduled run, then returns"));
  }
}

LOOPCERT_CASE("coroutines.sleep.returns_its_result", clauses("SLEEP")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CHECK_EQUAL(
        ctx.run_until_complete(*loop, start_task(kind, *loop, sleep_with_result()), "sleep(0.001, 55)"), 55,
        task_says(kind, "sleep(delay, result) returns the result"));
  }
}
