// wait_for() (PEP 3156, "Waiting for Multiple Coroutines"): the awaitable's
// outcome if it completes within the timeout; otherwise "it cancels the
// task and raises TimeoutError. To avoid the task cancellation, wrap it in
// shield()." Each case checks the standard Future and Task and the loop's
// own.
#include <optional>
#include <stdexcept>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::kBothKinds;
using library_support::new_future;
using library_support::start_task;
using library_support::task_says;

namespace {
/// How wait_for() ended, and after how much loop time.
struct WaitForOutcome {
  std::optional<int> result;
  std::string raised;  // "TimeoutError", or what() of another exception
  double waited = 0;
};

Coroutine<WaitForOutcome> wait_for_and_look(Awaitable<int> awaitable, std::optional<double> timeout) {
  AbstractEventLoop& loop = co_await this_loop();
  double start = loop.time();
  WaitForOutcome outcome;
  try {
    outcome.result = co_await wait_for(std::move(awaitable), timeout);
  } catch (const TimeoutError&) {
    outcome.raised = "TimeoutError";
  } catch (const std::exception& e) {
    outcome.raised = e.what();
  }
  outcome.waited = loop.time() - start;
  co_return outcome;
}

struct SleeperLog {
  bool started = false;
  bool cancelled = false;
};
Coroutine<int> sleeps_an_hour(SleeperLog* log) {
  log->started = true;
  try {
    co_await sleep(3600.0);
  } catch (const CancelledError&) {
    log->cancelled = true;
    throw;
  }
  co_return 0;
}
}  // namespace

LOOPCERT_CASE("coroutines.wait_for.result_within_the_timeout", clauses("WAIT-FOR-TIMEOUT-CANCELS")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    Task<WaitForOutcome> waiter = start_task(kind, *loop, wait_for_and_look(future, 600.0));
    loop->call_soon([future] { future.set_result(9); });
    WaitForOutcome out = ctx.run_until_complete(*loop, waiter, "wait_for() of a Future completed at once");
    CHECK_THAT(out.result == 9 && out.raised.empty(),
               task_says(kind, "wait_for() returns the result of an awaitable done within the timeout"));
    CHECK_THAT(!future.cancelled(), task_says(kind, "and does not cancel it"));
  }
}

LOOPCERT_CASE("coroutines.wait_for.exception_within_the_timeout", clauses("WAIT-FOR-TIMEOUT-CANCELS")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    Task<WaitForOutcome> waiter = start_task(kind, *loop, wait_for_and_look(future, 600.0));
    loop->call_soon([future] { future.set_exception(std::runtime_error("the awaitable failed")); });
    WaitForOutcome out = ctx.run_until_complete(*loop, waiter, "wait_for() of a Future failed at once");
    CHECK_EQUAL(
        out.raised, std::string("the awaitable failed"),
        task_says(kind, "wait_for() raises the exception of an awaitable that fails within the timeout"));
  }
}

LOOPCERT_CASE("coroutines.wait_for.without_timeout_waits", clauses("WAIT-FOR-TIMEOUT-CANCELS")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    Task<WaitForOutcome> waiter = start_task(kind, *loop, wait_for_and_look(future, std::nullopt));
    loop->call_later(0.01, [future] { future.set_result(4); });
    WaitForOutcome out = ctx.run_until_complete(*loop, waiter, "wait_for() with no timeout");
    CHECK_THAT(out.result == 4, task_says(kind, "wait_for() with no timeout waits as long as it takes"));
  }
}

LOOPCERT_CASE("coroutines.wait_for.timeout_cancels_and_raises", clauses("WAIT-FOR-TIMEOUT-CANCELS")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    const double timeout = 0.02;
    WaitForOutcome out =
        ctx.run_until_complete(*loop, start_task(kind, *loop, wait_for_and_look(future, timeout)),
                               "wait_for() of a Future that never completes");
    CHECK_EQUAL(out.raised, std::string("TimeoutError"), task_says(kind, "wait_for() raises TimeoutError"));
    CHECK_THAT(future.cancelled(), task_says(kind, "and cancels the awaitable"));
    CHECK_THAT(out.waited >= timeout - ctx.clock_resolution(),
               task_says(kind, conformance::str("wait_for() timed out after ", out.waited,
                                                " s: not before the timeout less the clock resolution")));
  }
}

LOOPCERT_CASE("coroutines.wait_for.timeout_cancels_a_coroutines_task",
              clauses("WAIT-FOR-TIMEOUT-CANCELS", "TASK-CANCEL-THROWS")) {
  // A coroutine is wrapped in a Task; on timeout that Task is cancelled,
  // and so CancelledError reaches the coroutine (once the loop runs it).
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    SleeperLog log;
    WaitForOutcome out =
        ctx.run_until_complete(*loop, start_task(kind, *loop, wait_for_and_look(sleeps_an_hour(&log), 0.01)),
                               "wait_for() of a sleeper");
    CHECK_EQUAL(out.raised, std::string("TimeoutError"), task_says(kind, "wait_for() raises TimeoutError"));
    conformance::stop_when(*loop, [&] { return log.cancelled; });
    ctx.run_forever(*loop, "CancelledError to reach the coroutine wait_for() timed out on");
    CHECK_THAT(log.started && log.cancelled, task_says(kind, "the coroutine's Task was cancelled"));
  }
}

LOOPCERT_CASE("coroutines.wait_for.shield_avoids_the_cancellation",
              clauses("WAIT-FOR-TIMEOUT-CANCELS", "SHIELD")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> inner = new_future<int>(kind, *loop);
    WaitForOutcome out = ctx.run_until_complete(
        *loop, start_task(kind, *loop, wait_for_and_look(shield<int>(inner, loop.get()), 0.01)),
        "wait_for() of a shielded Future");
    CHECK_EQUAL(out.raised, std::string("TimeoutError"), task_says(kind, "wait_for() raises TimeoutError"));
    CHECK_THAT(!inner.cancelled() && !inner.done(), task_says(kind, "the shielded Future is not cancelled"));
    inner.set_result(1);
    CHECK_EQUAL(inner.result(), 1, task_says(kind, "and can still complete"));
  }
}
