// Task cancellation (PEP 3156, "Tasks"): "Cancelling a task that's not done
// yet throws an asyncio.CancelledError exception into the coroutine. If the
// coroutine doesn't catch this (or if it re-raises it) the task will be
// marked as cancelled ...; but if the coroutine somehow catches and ignores
// the exception it may continue to execute (and cancelled() will return
// False)." The exception arrives at the suspension point: the co_await the
// coroutine is parked in, however deep (decision D-CORO-6). Each case
// checks the standard Task and the loop's own.
#include <string>
#include <utility>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::kBothKinds;
using library_support::Kind;
using library_support::start_task;
using library_support::task_says;

namespace {

/// Where a cancelled coroutine was when CancelledError reached it.
struct CancelLog {
  bool started = false;
  bool went_past_the_await = false;
  std::vector<std::string> caught_at;  // innermost first
};

/// Awaits `awaitable` (a Future, a Task, a coroutine), noting in `log`
/// where CancelledError passed.
template <class Awaitable>
Coroutine<int> awaits_noting(Awaitable awaitable, const char* where, CancelLog* log) {
  log->started = true;
  try {
    int value = co_await std::move(awaitable);
    log->went_past_the_await = true;
    co_return value;
  } catch (const CancelledError&) {
    log->caught_at.push_back(where);
    throw;
  }
}

Coroutine<int> awaits_future(Future<int> future, CancelLog* log) {
  return awaits_noting(future, "awaiting the Future", log);
}

Coroutine<int> never_completes(Future<int> future) { co_return co_await future; }

Coroutine<int> suppresses(Future<int> future, CancelLog* log) {
  log->started = true;
  try {
    co_return co_await future;
  } catch (const CancelledError&) {
    log->caught_at.push_back("awaiting the Future");
  }
  co_return -1;  // ignores the cancellation and finishes normally
}

Coroutine<int> suppresses_then_awaits(Future<int> first, Future<int> second, CancelLog* log) {
  log->started = true;
  try {
    co_await first;
  } catch (const CancelledError&) {
    log->caught_at.push_back("awaiting the first Future");
  }
  co_return co_await second * 10;  // it may continue to execute
}

Coroutine<void> cleans_up_then_reraises(Future<int> future, CancelLog* log) {
  log->started = true;
  bool cancelled = false;
  try {
    co_await future;
  } catch (const CancelledError&) {
    cancelled = true;
  }
  if (!cancelled) co_return;
  co_await yield_now();  // cleanup that itself suspends
  log->caught_at.push_back("cleaned up");
  throw CancelledError();
}

Coroutine<void> cancels_itself(CancelLog* log, bool* cancel_returned) {
  AbstractEventLoop& loop = co_await this_loop();
  *cancel_returned = current_task(&loop)->cancel();
  log->started = true;  // still running: the exception waits for a suspension point
  try {
    co_await yield_now();
    log->went_past_the_await = true;
  } catch (const CancelledError&) {
    log->caught_at.push_back("the next suspension point");
    throw;
  }
}

Coroutine<void> yields_forever(CancelLog* log) {
  log->started = true;
  try {
    for (;;) co_await yield_now();
  } catch (const CancelledError&) {
    log->caught_at.push_back("yielding");
    throw;
  }
}

Coroutine<void> marks(bool* ran) {
  *ran = true;
  co_return;
}

Coroutine<std::string> reports_how_awaited_task_ended(Task<int> task) {
  try {
    co_await task;
  } catch (const CancelledError&) {
    co_return std::string("CancelledError");
  }
  co_return std::string("no exception");
}

/// Runs `loop` until `log` shows the coroutine started.
void until_started(conformance::Context& ctx, AbstractEventLoop& loop, const CancelLog& log) {
  conformance::stop_when(loop, [&] { return log.started; });
  ctx.run_forever(loop, "the Task's coroutine to start");
}

/// Runs the cancelled `task` to its end and checks that it ended cancelled.
template <class T>
void expect_ends_cancelled(conformance::Context& ctx, AbstractEventLoop& loop, Kind kind,
                           const Task<T>& task) {
  ctx.expect_throw<CancelledError>(
      [&] { ctx.run_until_complete(loop, task, "a cancelled Task to end"); },
      task_says(kind, "run_until_complete() of a Task that let CancelledError out"));
  CHECK_THAT(task.cancelled(),
             task_says(kind, "a Task whose coroutine lets CancelledError out is cancelled"));
}

}  // namespace

LOOPCERT_CASE("tasks.cancel.while_awaiting_a_future",
              clauses("TASK-CANCEL-THROWS", "TASK-CANCEL-PROPAGATES", "FUT-CANCEL-PENDING")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    CancelLog log;
    Task<int> task = start_task(kind, *loop, awaits_future(future, &log));
    until_started(ctx, *loop, log);
    CHECK_THAT(task.cancel(), task_says(kind, "cancel() on a pending Task returns True"));
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(
        log.caught_at == std::vector<std::string>{"awaiting the Future"} && !log.went_past_the_await,
        task_says(kind, "CancelledError is thrown into the coroutine at the co_await it is parked in"));
  }
}

LOOPCERT_CASE("tasks.cancel.while_awaiting_a_nested_coroutine",
              clauses("TASK-CANCEL-THROWS", "TASK-CANCEL-PROPAGATES")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    CancelLog log;
    Task<int> task =
        start_task(kind, *loop, awaits_noting(awaits_future(future, &log), "awaiting the coroutine", &log));
    until_started(ctx, *loop, log);
    task.cancel();
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(
        log.caught_at == (std::vector<std::string>{"awaiting the Future", "awaiting the coroutine"}),
        task_says(kind, "CancelledError reaches the innermost coroutine first, then the ones awaiting it"));
  }
}

LOOPCERT_CASE("tasks.cancel.while_sleeping",
              clauses("TASK-CANCEL-THROWS", "TASK-CANCEL-PROPAGATES", "SLEEP")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CancelLog log;
    Task<int> task = start_task(kind, *loop, awaits_noting(sleep(3600.0, 0), "sleeping", &log));
    until_started(ctx, *loop, log);
    task.cancel();
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(
        log.caught_at == std::vector<std::string>{"sleeping"} && !log.went_past_the_await,
        task_says(kind,
                  "a Task cancelled in sleep() gets CancelledError there, without waiting for the delay"));
  }
}

LOOPCERT_CASE("tasks.cancel.while_awaiting_another_task",
              clauses("TASK-CANCEL-THROWS", "TASK-CANCEL-PROPAGATES")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    Task<int> inner = start_task(kind, *loop, never_completes(future));
    CancelLog log;
    Task<int> outer = start_task(kind, *loop, awaits_noting(inner, "awaiting the Task", &log));
    until_started(ctx, *loop, log);
    outer.cancel();
    expect_ends_cancelled(ctx, *loop, kind, outer);
    CHECK_THAT(
        log.caught_at == std::vector<std::string>{"awaiting the Task"} && !log.went_past_the_await,
        task_says(kind, "a Task cancelled while awaiting another Task gets CancelledError at that co_await"));
  }
}

LOOPCERT_CASE("tasks.cancel.while_yielding", clauses("TASK-CANCEL-THROWS", "TASK-CANCEL-PROPAGATES")) {
  // Parked for one trip through the ready queue (a bare yield), cancelled
  // by another callback.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CancelLog log;
    Task<void> task = start_task(kind, *loop, yields_forever(&log));
    until_started(ctx, *loop, log);
    bool cancel_returned = false;
    loop->call_soon([&] { cancel_returned = task.cancel(); });
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(cancel_returned, task_says(kind, "cancel() from a callback returns True"));
    CHECK_THAT(log.caught_at == std::vector<std::string>{"yielding"},
               task_says(kind, "CancelledError is thrown at the yield the coroutine is parked in"));
  }
}

LOOPCERT_CASE("tasks.cancel.by_itself_at_the_next_suspension",
              clauses("TASK-CANCEL-THROWS", "TASK-CURRENT-TASK")) {
  // A running coroutine has no suspension point to throw into: cancel()
  // returns True, the coroutine goes on, and CancelledError arrives at
  // its next co_await.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CancelLog log;
    bool cancel_returned = false;
    Task<void> task = start_task(kind, *loop, cancels_itself(&log, &cancel_returned));
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(cancel_returned, task_says(kind, "a Task's cancel() of itself returns True"));
    CHECK_THAT(log.started, task_says(kind, "the coroutine runs on until its next suspension point"));
    CHECK_THAT(
        log.caught_at == std::vector<std::string>{"the next suspension point"} && !log.went_past_the_await,
        task_says(kind, "CancelledError is thrown at the next suspension point"));
  }
}

LOOPCERT_CASE("tasks.cancel.takes_effect_when_the_loop_runs",
              clauses("TASK-CANCEL-THROWS", "FUT-CANCEL-PENDING", "CORO-ONLY-WHEN-LOOP-RUNS")) {
  // The coroutine may ignore the cancellation, and it can only say so when
  // the loop runs it: until then the Task is neither done nor cancelled,
  // and its done-callbacks wait.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    CancelLog log;
    Task<int> task = start_task(kind, *loop, awaits_future(future, &log));
    until_started(ctx, *loop, log);
    int callbacks = 0;
    task.add_done_callback([&callbacks](Future<int>) { ++callbacks; });
    CHECK_THAT(task.cancel(), task_says(kind, "cancel() returns True"));
    CHECK_THAT(!task.done() && !task.cancelled(),
               task_says(kind, "the stopped loop has not run the coroutine: the Task is not cancelled yet"));
    CHECK_THAT(log.caught_at.empty(), task_says(kind, "the coroutine has not seen CancelledError yet"));
    CHECK_EQUAL(callbacks, 0, task_says(kind, "no done-callback yet"));
    expect_ends_cancelled(ctx, *loop, kind, task);
    conformance::stop_when(*loop, [&] { return callbacks > 0; });
    ctx.run_forever(*loop, "the cancelled Task's done-callback");
  }
}

LOOPCERT_CASE("tasks.cancel.suppressed_task_finishes_normally", clauses("TASK-CANCEL-SUPPRESSIBLE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    CancelLog log;
    Task<int> task = start_task(kind, *loop, suppresses(future, &log));
    until_started(ctx, *loop, log);
    CHECK_THAT(task.cancel(), task_says(kind, "cancel() returns True"));
    int result = ctx.run_until_complete(*loop, task, "a Task that ignores its cancellation");
    CHECK_THAT(log.caught_at == std::vector<std::string>{"awaiting the Future"},
               task_says(kind, "the coroutine caught CancelledError"));
    CHECK_THAT(!task.cancelled(), task_says(kind, "cancel() returned True, yet the Task is not cancelled"));
    CHECK_EQUAL(result, -1, task_says(kind, "its result is what the coroutine returned"));
    CHECK_THAT(!task.cancel(), task_says(kind, "cancel() on the finished Task returns False"));
  }
}

LOOPCERT_CASE("tasks.cancel.suppressed_task_continues", clauses("TASK-CANCEL-SUPPRESSIBLE")) {
  // "it may continue to execute": after ignoring the cancellation, the
  // coroutine awaits another Future, and completes with it.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> first = loop->create_future<int>();
    Future<int> second = loop->create_future<int>();
    CancelLog log;
    Task<int> task = start_task(kind, *loop, suppresses_then_awaits(first, second, &log));
    until_started(ctx, *loop, log);
    task.cancel();
    conformance::stop_when(*loop, [&] { return !log.caught_at.empty(); });
    ctx.run_forever(*loop, "the coroutine to catch CancelledError");
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    CHECK_THAT(!task.done(), task_says(kind, "the Task goes on after ignoring its cancellation"));
    second.set_result(4);
    CHECK_EQUAL(ctx.run_until_complete(*loop, task, "the Task to finish with its second Future"), 40,
                task_says(kind, "and finishes with what its coroutine returns"));
    CHECK_THAT(!task.cancelled(), task_says(kind, "not cancelled"));
  }
}

LOOPCERT_CASE("tasks.cancel.reraised_after_cleanup", clauses("TASK-CANCEL-PROPAGATES")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    CancelLog log;
    Task<void> task = start_task(kind, *loop, cleans_up_then_reraises(future, &log));
    until_started(ctx, *loop, log);
    task.cancel();
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(log.caught_at == std::vector<std::string>{"cleaned up"},
               task_says(kind, "the coroutine ran its cleanup (which suspended) before re-raising"));
  }
}

LOOPCERT_CASE("tasks.cancel.before_the_first_step", clauses("TASK-CANCEL-THROWS", "TASK-CANCEL-PROPAGATES")) {
  // Decision D-CORO-6: the standard Task, cancelled before its first step,
  // never runs its body (the exception is thrown in before the first line).
  // "For Tasks ... the task may ignore or delay the cancellation attempt":
  // the loop's own Task may run that step first, and a body that finishes
  // in it finishes the Task.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    bool ran = false;
    Task<void> task = start_task(kind, *loop, marks(&ran));
    CHECK_THAT(task.cancel(), task_says(kind, "cancel() on a Task that has not started returns True"));
    if (kind == Kind::standard) {
      expect_ends_cancelled(ctx, *loop, kind, task);
      CHECK_THAT(!ran,
                 task_says(kind, "a Task cancelled before its first step never runs its coroutine's body"));
      continue;
    }
    conformance::run_until(
        ctx, *loop, [&] { return task.done(); }, "a Task cancelled before its first step to end");
    CHECK_THAT(task.cancelled() != ran,
               task_says(kind,
                         "a Task cancelled before its first step ends either cancelled without running "
                         "its body, or done after running it"));
  }
}

LOOPCERT_CASE("tasks.cancel.twice_while_pending", clauses("FUT-CANCEL-PENDING", "TASK-CANCEL-PROPAGATES")) {
  // Until the coroutine has answered, the Task is not done, so a second
  // cancel() returns True too.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    CancelLog log;
    Task<int> task = start_task(kind, *loop, awaits_future(future, &log));
    until_started(ctx, *loop, log);
    CHECK_THAT(task.cancel(), task_says(kind, "the first cancel() returns True"));
    CHECK_THAT(task.cancel(), task_says(kind, "a second cancel() before the Task is done returns True"));
    expect_ends_cancelled(ctx, *loop, kind, task);
    CHECK_THAT(!task.cancel(), task_says(kind, "cancel() on the cancelled Task returns False"));
  }
}

LOOPCERT_CASE("tasks.cancel.done_task_returns_false",
              clauses("FUT-CANCEL-DONE-RETURNS-FALSE", "TASK-IS-FUTURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    future.set_result(12);
    CancelLog log;
    Task<int> task = start_task(kind, *loop, awaits_future(future, &log));
    ctx.run_until_complete(*loop, task, "a Task that finishes");
    CHECK_THAT(!task.cancel(), task_says(kind, "cancel() on a finished Task returns False"));
    CHECK_THAT(!task.cancelled() && task.result() == 12, task_says(kind, "and changes nothing"));
  }
}

LOOPCERT_CASE("tasks.cancel.awaiting_a_cancelled_task_raises",
              clauses("CORO-AWAIT-FUTURE", "TASK-CANCEL-PROPAGATES")) {
  // A cancelled Task is a cancelled Future: whoever awaits it gets
  // CancelledError.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = loop->create_future<int>();
    Task<int> inner = start_task(kind, *loop, never_completes(future));
    Task<std::string> outer = start_task(kind, *loop, reports_how_awaited_task_ended(inner));
    loop->call_soon([inner] { inner.cancel(); });
    CHECK_EQUAL(ctx.run_until_complete(*loop, outer, "a Task awaiting a Task that gets cancelled"),
                std::string("CancelledError"),
                task_says(kind, "awaiting a cancelled Task raises CancelledError"));
    CHECK_THAT(inner.cancelled(), task_says(kind, "the awaited Task is cancelled"));
  }
}
