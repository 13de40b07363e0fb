// run_forever() and run_until_complete() (PEP 3156, "Starting, Stopping and
// Closing"; decisions D-LIFE-1 and D-LIFE-3): results and exceptions, what
// a run leaves behind for the next one, and re-entrance.
#include <stdexcept>
#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::runs_until_its_own_stop;

namespace {
/// run_until_complete(future) on a Future that is never done while a
/// callback calls stop(): returns whether it raised. The PEP names no error
/// for this (decisions D-LIFE-3, D-ERR-3): any exception is accepted;
/// returning normally, with no result to return, is a failed check.
bool raises_when_stopped_first(conformance::Context& ctx, AbstractEventLoop& loop, const FuturePtr& future) {
  loop.call_soon([&loop] { loop.stop(); });
  conformance::Watch guard =
      ctx.watch("run_until_complete() of a Future that is not done when stop() is called");
  try {
    loop.run_until_complete(future);
  } catch (const std::exception&) {
    return true;
  }
  return ctx.check(false, "",
                   "run_until_complete() stopped before its Future is done raises an error; it returned "
                   "normally");
}
}  // namespace

LOOPCERT_CASE("lifecycle.run_until_complete.stopped_first_raises",
              clauses("LOOP-RUC-RESULT", "LOOP-STOP-RESTARTABLE")) {
  auto loop = ctx.new_loop();
  Future<int> future = loop->create_future<int>();
  raises_when_stopped_first(ctx, *loop, future.state());
  CHECK_THAT(!loop->is_running(), "the loop is stopped after run_until_complete() raised");
  if (future.done()) return;  // the Future's fate is the loop's choice here
  loop->call_soon([future] { future.set_result(3); });
  CHECK_EQUAL(ctx.run_until_complete(*loop, future, "the same Future, completed in a second run"), 3,
              "a later run_until_complete() of the same Future returns its result");
}

LOOPCERT_CASE("lifecycle.run_until_complete.no_stale_stop_after_stopped_first",
              clauses("LOOP-RUNFOREVER-UNTIL-STOP", "LOOP-RUC-RESULT")) {
  // What run_until_complete() set up to stop the loop when its Future is
  // done must not outlive the call: when the Future completes during a
  // later run_forever(), that run goes on until its own stop().
  auto loop = ctx.new_loop();
  Future<int> future = loop->create_future<int>();
  raises_when_stopped_first(ctx, *loop, future.state());
  if (!future.done()) loop->call_soon([future] { future.set_result(1); });
  CHECK_THAT(runs_until_its_own_stop(ctx, *loop),
             "a Future that an earlier, interrupted run_until_complete() waited for does not stop a later "
             "run when it completes");
}

LOOPCERT_CASE("lifecycle.run_until_complete.no_stale_stop_after_base_exception",
              clauses("LOOP-RUNFOREVER-UNTIL-STOP", "LOOP-STATES")) {
  // The Future becomes done (which schedules what stops the loop), then the
  // same callback raises a BaseException, which ends run_until_complete()
  // before that ran (decision D-ERR-1; a loop that passes it to its
  // exception handler instead returns normally, which is fine here).
  auto loop = ctx.new_loop();
  Future<int> future = loop->create_future<int>();
  loop->call_soon([future] {
    future.set_result(1);
    throw KeyboardInterrupt();
  });
  try {
    ctx.run_until_complete(*loop, future,
                           "a Future completed by a callback that then raises KeyboardInterrupt");
  } catch (const KeyboardInterrupt&) {
  }
  CHECK_THAT(!loop->is_running(), "the loop is stopped once run_until_complete() is left");
  CHECK_THAT(runs_until_its_own_stop(ctx, *loop),
             "the next run_forever() runs until its own stop(): nothing left over from the interrupted "
             "run_until_complete() stops it");
}

LOOPCERT_CASE("lifecycle.run_until_complete.no_stale_stop_after_failed_future",
              clauses("LOOP-RUC-RESULT", "LOOP-RUNFOREVER-UNTIL-STOP")) {
  auto loop = ctx.new_loop();
  Future<int> failing = loop->create_future<int>();
  loop->call_soon([failing] { failing.set_exception(std::range_error("the Future failed")); });
  ctx.expect_throw<std::range_error>([&] { ctx.run_until_complete(*loop, failing, "a Future that fails"); },
                                     "run_until_complete() raises the exception of its Future");
  CHECK_THAT(runs_until_its_own_stop(ctx, *loop),
             "after run_until_complete() raised, the next run_forever() runs until its own stop()");
  Future<int> fine = loop->create_future<int>();
  loop->call_soon([fine] { fine.set_result(2); });
  CHECK_EQUAL(ctx.run_until_complete(*loop, fine, "a second run_until_complete()"), 2,
              "and so does the next run_until_complete()");
}

LOOPCERT_CASE("lifecycle.run_until_complete.done_future", clauses("LOOP-RUC-RESULT")) {
  auto loop = ctx.new_loop();
  Future<int> done = loop->create_future<int>();
  done.set_result(9);
  CHECK_EQUAL(ctx.run_until_complete(*loop, done, "a Future that is already done"), 9,
              "run_until_complete() of a done Future returns its result");
  Future<int> cancelled = loop->create_future<int>();
  cancelled.cancel();
  ctx.expect_throw<CancelledError>([&] { ctx.run_until_complete(*loop, cancelled, "a cancelled Future"); },
                                   "run_until_complete() of a cancelled Future raises CancelledError");
}

LOOPCERT_CASE("lifecycle.run_until_complete.future_from_other_thread",
              clauses("LOOP-RUC-RESULT", "LOOP-THREADSAFE-WAKEUP")) {
  // The loop has nothing to do until another thread completes the Future
  // through call_soon_threadsafe().
  auto loop = ctx.new_loop();
  Future<int> answer = loop->create_future<int>();
  std::jthread worker([&] {
    ctx.wait_until_loop_blocked();
    loop->call_soon_threadsafe([answer] { answer.set_result(42); });
  });
  CHECK_EQUAL(ctx.run_until_complete(*loop, answer, "a Future completed from another thread"), 42,
              "run_until_complete() returns once another thread's callback completed the Future");
  conformance::join(ctx, worker, "the thread that completed the Future");
}

LOOPCERT_CASE("lifecycle.run_until_complete.coroutine_runs_as_task",
              clauses("LOOP-RUC-WRAPS-COROUTINE", "TIER-ACCEPT-CORO-AND-FUTURE")) {
  // The coroutine is wrapped in a Task: it runs as the loop's current Task,
  // is suspended while it waits for a Future, and is resumed by the loop.
  auto loop = ctx.new_loop();
  Future<int> later = loop->create_future<int>();
  loop->call_later(0.001, [later] { later.set_result(5); });
  auto body = [](AbstractEventLoop* loop, Future<int> later) -> Coroutine<int> {
    bool in_a_task = current_task(loop) != nullptr;
    int value = co_await later;
    co_return in_a_task ? value * 2 : -1;
  };
  conformance::Watch guard = ctx.watch("run_until_complete() of a coroutine waiting for a timer");
  CHECK_EQUAL(loop->run_until_complete(body(loop.get(), later)), 10,
              "run_until_complete(coroutine) runs it as a Task until it returns (-1: no current Task)");
}

LOOPCERT_CASE("lifecycle.run_until_complete.accepts_a_task", clauses("TIER-ACCEPT-CORO-AND-FUTURE")) {
  auto loop = ctx.new_loop();
  auto body = []() -> Coroutine<int> {
    co_await yield_now();
    co_return 11;
  };
  Task<int> task = loop->create_task(body());
  CHECK_EQUAL(ctx.run_until_complete(*loop, task, "a Task"), 11,
              "run_until_complete() accepts a Task (a Future) and returns its result");
}

LOOPCERT_CASE("lifecycle.run_until_complete.not_reentrant",
              clauses("LOOP-RUC-NOT-REENTRANT", "LOOP-ISRUNNING")) {
  // Any std::exception (decision D-LIFE-1); the running loop goes on. The
  // inner Future completes soon, so a loop that does run it nested returns
  // and the check says so instead of hanging.
  auto loop = ctx.new_loop();
  Future<int> inner = loop->create_future<int>();
  loop->call_later(0.005, [inner] { inner.set_result(1); });
  bool still_running = false;
  bool went_on = false;
  loop->call_soon([&] {
    ctx.expect_throw<std::exception>([&] { loop->run_until_complete(inner.state()); },
                                     "run_until_complete() inside a running loop");
    still_running = loop->is_running();
    loop->call_soon([&] {
      went_on = true;
      loop->stop();
    });
  });
  ctx.run_forever(*loop, "a callback calling run_until_complete() on its own loop");
  CHECK_THAT(still_running, "the loop is still running after the refused run_until_complete()");
  CHECK_THAT(went_on, "the loop goes on running callbacks after the refused run_until_complete()");
}

LOOPCERT_CASE("lifecycle.run_forever.not_reentrant_loop_goes_on",
              clauses("LOOP-RUNFOREVER-NOT-REENTRANT", "LOOP-ISRUNNING")) {
  auto loop = ctx.new_loop();
  bool still_running = false;
  int after = 0;
  loop->call_soon([&] {
    ctx.expect_throw<std::exception>([&] { loop->run_forever(); }, "run_forever() inside a running loop");
    still_running = loop->is_running();
  });
  loop->call_soon([&] { ++after; });
  loop->call_later(0.001, [&] {
    ++after;
    loop->stop();
  });
  ctx.run_forever(*loop, "a callback calling run_forever() on its own loop, then more callbacks");
  CHECK_THAT(still_running, "the loop is still running after the refused run_forever()");
  CHECK_EQUAL(after, 2, "the callbacks after the refused run_forever() run, and stop() still works");
}

LOOPCERT_CASE("lifecycle.is_running.during_run_until_complete", clauses("LOOP-ISRUNNING", "LOOP-STATES")) {
  auto loop = ctx.new_loop();
  Future<void> failing = loop->create_future<void>();
  bool running_inside = false;
  loop->call_soon([&] {
    running_inside = loop->is_running();
    failing.set_exception(std::logic_error("fails"));
  });
  ctx.expect_throw<std::logic_error>([&] { ctx.run_until_complete(*loop, failing, "a failing Future"); },
                                     "run_until_complete() of a failing Future");
  CHECK_THAT(running_inside, "is_running() is true inside a callback run by run_until_complete()");
  CHECK_THAT(!loop->is_running(), "is_running() is false after run_until_complete() raised");
}
