// Coroutines and Tasks (PEP 3156, "Coroutines", "Tasks"): a coroutine runs
// nothing until awaited or wrapped in a Task, and only while the loop runs;
// a Task is a Future that takes its coroutine's outcome; current_task() and
// all_tasks() see the Tasks of a loop. Each case checks the standard Task
// and the loop's own (library_support.hpp).
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::kBothKinds;
using library_support::start_task;
using library_support::task_says;

namespace {
/// Whether create_task() accepts an F.
template <class F>
constexpr bool kTakesAsTask = requires(AbstractEventLoop& loop, F f) {
  loop.create_task(std::move(f));
};

Coroutine<void> mark(bool* ran) {
  *ran = true;
  co_return;
}

Coroutine<int> returns_after_yield(int value) {
  co_await yield_now();
  co_return value;
}

Coroutine<void> record(std::vector<std::string>* order, std::string what) {
  order->push_back(std::move(what));
  co_return;
}

Coroutine<void> awaits_later(std::vector<std::string>* order) {
  Coroutine<void> child = record(order, "child body");
  order->push_back("parent, child created");
  co_await yield_now();
  order->push_back("parent, before awaiting the child");
  co_await std::move(child);
  order->push_back("parent, after the child");
}

Coroutine<int> innermost(int value) {
  co_await yield_now();
  co_return value * 2;
}
Coroutine<int> middle(int value) { co_return co_await innermost(value) + 1; }
Coroutine<int> outer(int value) { co_return co_await middle(value) + 1; }

Coroutine<int> throws_after_yield(const char* what) {
  co_await yield_now();
  throw std::length_error(what);
}
Coroutine<std::string> catches_child_exception() {
  try {
    co_await throws_after_yield("from the child");
  } catch (const std::length_error& e) {
    co_return std::string("caught: ") + e.what();
  }
  co_return std::string("nothing caught");
}

Coroutine<void> count_forever(int* steps) {
  for (;;) {
    ++*steps;
    co_await yield_now();
  }
}

Coroutine<void> park(Future<void> until) { co_await until; }

Coroutine<int> plus_one(Future<int> future) { co_return co_await future + 1; }

/// What current_task() said at each point of a coroutine chain.
struct CurrentLog {
  FuturePtr at_start;
  FuturePtr in_child;
  FuturePtr in_child_after_suspension;
  FuturePtr after_future;
};

Coroutine<void> child_records_current(CurrentLog* log) {
  AbstractEventLoop& loop = co_await this_loop();
  log->in_child = current_task(&loop);
  co_await yield_now();
  log->in_child_after_suspension = current_task(&loop);
}

Coroutine<void> records_current(CurrentLog* log, Future<int> resumed_by) {
  AbstractEventLoop& loop = co_await this_loop();
  log->at_start = current_task(&loop);
  co_await child_records_current(log);
  co_await resumed_by;
  log->after_future = current_task(&loop);
}

Coroutine<void> records_current_each_step(std::vector<FuturePtr>* seen) {
  AbstractEventLoop& loop = co_await this_loop();
  for (int i = 0; i < 3; ++i) {
    seen->push_back(current_task(&loop));
    co_await yield_now();
  }
}
}  // namespace

LOOPCERT_CASE("coroutines.marked.distinct_return_type", clauses("CORO-DECORATOR")) {
  // "all coroutines should be decorated with @asyncio.coroutine": in C++
  // the mark is the return type. A coroutine function returns a
  // Coroutine<T>, which is what create_task() and run_until_complete()
  // take, and a plain function returning a value is not one.
  static_assert(std::is_same_v<decltype(returns_after_yield(1)), Coroutine<int>>);
  static_assert(kTakesAsTask<Coroutine<int>>, "create_task() takes a Coroutine<T>");
  static_assert(!kTakesAsTask<int (*)()>, "create_task() refuses a plain function");
  auto loop = ctx.new_loop();
  CHECK_EQUAL(ctx.run_until_complete(*loop, loop->create_task(returns_after_yield(2)), "a marked coroutine"),
              2, "a Coroutine<T> runs as a Task");
}

LOOPCERT_CASE("coroutines.lazy.calling_runs_nothing", clauses("CORO-LAZY-START")) {
  bool ran = false;
  {
    Coroutine<void> coroutine = mark(&ran);
    CHECK_THAT(!ran, "calling a coroutine function does not start its code running");
  }
  CHECK_THAT(!ran, "a coroutine destroyed without being awaited never runs");
}

LOOPCERT_CASE("coroutines.lazy.create_task_does_not_run_the_body",
              clauses("CORO-LAZY-START", "CORO-ONLY-WHEN-LOOP-RUNS", "LOOP-CREATE-TASK")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    bool ran = false;
    Task<void> task = start_task(kind, *loop, mark(&ran));
    CHECK_THAT(!ran, task_says(kind, "wrapping a coroutine in a Task does not run it"));
    CHECK_THAT(!task.done(), task_says(kind, "the new Task is pending"));
    ctx.run_until_complete(*loop, task, "a Task's first step");
    CHECK_THAT(ran, task_says(kind, "the loop runs the Task's coroutine"));
  }
}

LOOPCERT_CASE("coroutines.lazy.awaited_coroutine_runs_when_awaited",
              clauses("CORO-LAZY-START", "CORO-AWAIT-COROUTINE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    std::vector<std::string> order;
    ctx.run_until_complete(*loop, start_task(kind, *loop, awaits_later(&order)),
                           "a Task awaiting a coroutine");
    CHECK_THAT(
        order == (std::vector<std::string>{"parent, child created", "parent, before awaiting the child",
                                           "child body", "parent, after the child"}),
        task_says(kind, "a coroutine's body runs when it is awaited, not when it is created"));
  }
}

LOOPCERT_CASE("coroutines.await_coroutine.returns_its_value", clauses("CORO-AWAIT-COROUTINE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    int result = ctx.run_until_complete(*loop, start_task(kind, *loop, outer(20)), "three nested coroutines");
    CHECK_EQUAL(result, 42, task_says(kind, "co_await of a coroutine returns the value it returns"));
  }
}

LOOPCERT_CASE("coroutines.await_coroutine.propagates_its_exception", clauses("CORO-AWAIT-COROUTINE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    std::string result =
        ctx.run_until_complete(*loop, start_task(kind, *loop, catches_child_exception()), "a failing child");
    CHECK_EQUAL(result, std::string("caught: from the child"),
                task_says(kind, "co_await of a coroutine raises the exception it raises"));
  }
}

LOOPCERT_CASE("tasks.progress.only_while_the_loop_runs", clauses("CORO-ONLY-WHEN-LOOP-RUNS")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    int steps = 0;
    Task<void> task = start_task(kind, *loop, count_forever(&steps));
    CHECK_EQUAL(steps, 0, task_says(kind, "no step before the loop runs"));
    library_support::run_rounds(ctx, *loop, 5, "five trips through the ready queue");
    int when_stopped = steps;
    CHECK_THAT(when_stopped > 0, task_says(kind, "the Task makes progress while the loop runs"));
    // The loop is stopped: whatever is done to it from outside, the Task
    // stays where it is.
    loop->call_soon([] {});
    static_cast<void>(loop->create_future());
    static_cast<void>(loop->time());
    CHECK_EQUAL(steps, when_stopped, task_says(kind, "no progress while the loop is stopped"));
    library_support::run_rounds(ctx, *loop, 5, "five more trips through the ready queue");
    CHECK_THAT(steps > when_stopped, task_says(kind, "progress resumes when the loop runs again"));
    task.cancel();
    ctx.expect_throw<CancelledError>([&] { ctx.run_until_complete(*loop, task, "the cancelled Task"); },
                                     task_says(kind, "the cancelled Task"));
  }
}

LOOPCERT_CASE("tasks.result.from_the_coroutines_return",
              clauses("TASK-RESULT-FROM-COROUTINE", "TASK-IS-FUTURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Task<int> task = start_task(kind, *loop, returns_after_yield(64));
    ctx.run_until_complete(*loop, task, "a Task that returns a value");
    CHECK_THAT(task.done() && !task.cancelled(),
               task_says(kind, "the Task is done when its coroutine returns"));
    CHECK_EQUAL(task.result(), 64, task_says(kind, "the coroutine's return value is the Task's result"));
    CHECK_THAT(task.exception() == nullptr, task_says(kind, "and it has no exception"));
  }
}

LOOPCERT_CASE("tasks.result.from_the_coroutines_exception",
              clauses("TASK-RESULT-FROM-COROUTINE", "TASK-IS-FUTURE", "LOOP-ERR-FUTURE-PASSTHROUGH")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Task<int> task = start_task(kind, *loop, throws_after_yield("from the Task's coroutine"));
    ctx.expect_throw<std::length_error>(
        [&] { ctx.run_until_complete(*loop, task, "a Task whose coroutine throws"); },
        task_says(kind, "run_until_complete() of a Task whose coroutine throws"));
    CHECK_THAT(task.done() && !task.cancelled(),
               task_says(kind, "the Task is done when its coroutine raises"));
    CHECK_EQUAL(library_support::what_of(task.exception()), std::string("from the Task's coroutine"),
                task_says(kind, "the coroutine's exception is the Task's exception"));
  }
}

LOOPCERT_CASE("tasks.is_future.usable_as_a_future", clauses("TASK-IS-FUTURE")) {
  // Anything that takes a Future takes a Task: here a plain Future<int>
  // viewing it, awaited by another Task and run with run_until_complete().
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Task<int> task = start_task(kind, *loop, returns_after_yield(5));
    Future<int> as_future = task;
    CHECK_THAT(!as_future.done(), task_says(kind, "a Task is a pending Future until its coroutine finishes"));
    Task<int> awaiting = start_task(kind, *loop, plus_one(as_future));
    CHECK_EQUAL(ctx.run_until_complete(*loop, as_future, "a Task run as a Future"), 5,
                task_says(kind, "run_until_complete() of the Task as a Future returns its result"));
    CHECK_EQUAL(ctx.run_until_complete(*loop, awaiting, "a Task awaiting another"), 6,
                task_says(kind, "another coroutine can await the Task as a Future"));
  }
}

LOOPCERT_CASE("tasks.callbacks.called_with_the_task_once_done",
              clauses("TASK-CALLBACKS", "FUT-CALLBACK-ONE-ARG", "FUT-CALLBACK-NEVER-IMMEDIATE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<void> release(*loop);
    Task<void> task = start_task(kind, *loop, park(release));
    std::vector<bool> seen_done;
    task.add_done_callback([&](Future<void> f) { seen_done.push_back(f == task && f.done()); });
    library_support::run_rounds(ctx, *loop, 3, "a parked Task");
    CHECK_THAT(seen_done.empty(), task_says(kind, "a Task's done-callback waits for its coroutine"));
    release.set_result();
    conformance::stop_when(*loop, [&] { return !seen_done.empty(); });
    ctx.run_forever(*loop, "the Task's done-callback");
    task.add_done_callback([&](Future<void> f) { seen_done.push_back(f == task && f.done()); });
    CHECK_EQUAL(seen_done.size(), std::size_t{1},
                task_says(kind, "a done-callback added to a done Task is scheduled"));
    conformance::stop_when(*loop, [&] { return seen_done.size() >= 2; });
    ctx.run_forever(*loop, "the second done-callback");
    CHECK_THAT(seen_done == (std::vector<bool>{true, true}),
               task_says(kind, "each done-callback receives the done Task itself"));
  }
}

LOOPCERT_CASE("tasks.current_task.in_the_task_and_its_coroutines", clauses("TASK-CURRENT-TASK")) {
  // Inside the Task's coroutine, inside a coroutine it awaits (before and
  // after that one suspends), and after it is resumed by a Future.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CurrentLog log;
    Future<int> resumed_by = loop->create_future<int>();
    Task<void> task = start_task(kind, *loop, records_current(&log, resumed_by));
    loop->call_later(0.0, [resumed_by] { resumed_by.set_result(1); });
    ctx.run_until_complete(*loop, task, "a Task recording current_task()");
    CHECK_THAT(log.at_start == task.state(), task_says(kind, "current_task() in the coroutine is its Task"));
    CHECK_THAT(log.in_child == task.state(),
               task_says(kind, "current_task() in an awaited coroutine is the Task"));
    CHECK_THAT(log.in_child_after_suspension == task.state(),
               task_says(kind, "and still after that coroutine suspended and resumed"));
    CHECK_THAT(log.after_future == task.state(),
               task_says(kind, "and after an awaited Future resumed the Task"));
  }
}

LOOPCERT_CASE("tasks.current_task.each_task_sees_itself", clauses("TASK-CURRENT-TASK")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    std::vector<FuturePtr> first_saw;
    std::vector<FuturePtr> second_saw;
    Task<void> first = start_task(kind, *loop, records_current_each_step(&first_saw));
    Task<void> second = start_task(kind, *loop, records_current_each_step(&second_saw));
    ctx.run_until_complete(*loop, first, "the first of two interleaved Tasks");
    ctx.run_until_complete(*loop, second, "the second of two interleaved Tasks");
    CHECK_THAT(first_saw == std::vector<FuturePtr>(3, first.state()) &&
                   second_saw == std::vector<FuturePtr>(3, second.state()),
               task_says(kind, "interleaved Tasks each see themselves as current_task()"));
  }
}

LOOPCERT_CASE("tasks.current_task.none_outside_a_task", clauses("TASK-CURRENT-TASK")) {
  // PEP 3156: "This method returns None when called outside a coroutine,
  // e.g. in a callback scheduled using loop.call_later()."
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    std::vector<std::string> not_none;
    auto look = [&](const char* where) {
      if (current_task(loop.get()) != nullptr) not_none.push_back(where);
    };
    Task<int> task = start_task(kind, *loop, returns_after_yield(1));
    look("outside the running loop");
    loop->call_soon([&] { look("a call_soon() callback"); });
    loop->call_later(0.0, [&] { look("a call_later() callback"); });
    task.add_done_callback([&](Future<int>) { look("the Task's own done-callback"); });
    ctx.run_until_complete(*loop, task, "a Task among plain callbacks");
    library_support::run_rounds(ctx, *loop, 2, "the Task's done-callback");
    loop->call_soon([&] { look("a callback after the Task finished"); });
    library_support::run_rounds(ctx, *loop, 1, "a last callback");
    std::string where;
    for (const auto& w : not_none) where += " [" + w + "]";
    CHECK_THAT(not_none.empty(),
               task_says(kind, "current_task() is None outside a coroutine; it was not in:" + where));
  }
}

LOOPCERT_CASE("tasks.all_tasks.lists_the_pending_tasks", clauses("TASK-ALL-TASKS").extension("D-CORO-3")) {
  // Decision D-CORO-3: "active" means not done, started or not. The PEP does
  // not define "active" (asyncio's reading): an extension.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<void> release(*loop);
    Task<int> quick = start_task(kind, *loop, returns_after_yield(1));
    Task<void> parked = start_task(kind, *loop, park(release));
    auto listed = [&](const FuturePtr& task) {
      for (const auto& t : all_tasks(loop.get())) {
        if (t == task) return true;
      }
      return false;
    };
    CHECK_THAT(listed(quick.state()) && listed(parked.state()),
               task_says(kind, "all_tasks() lists Tasks that have not started yet"));
    ctx.run_until_complete(*loop, quick, "the quick Task");
    CHECK_THAT(!listed(quick.state()), task_says(kind, "all_tasks() leaves out a Task that is done"));
    CHECK_THAT(listed(parked.state()), task_says(kind, "all_tasks() lists a Task suspended on a Future"));
    release.set_result();
    ctx.run_until_complete(*loop, parked, "the parked Task");
    CHECK_THAT(all_tasks(loop.get()).empty(), task_says(kind, "with every Task done, all_tasks() is empty"));
  }
}

LOOPCERT_CASE("tasks.all_tasks.per_loop", clauses("TASK-ALL-TASKS", "FUT-LOOP-BOUND")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto other = ctx.new_loop();
    Task<int> task = start_task(kind, *loop, returns_after_yield(1));
    CHECK_THAT(&task.get_loop() == loop.get(),
               task_says(kind, "a Task belongs to the loop it was created on"));
    CHECK_THAT(all_tasks(other.get()).empty(), task_says(kind, "all_tasks(other loop) does not list it"));
    library_support::run_rounds(ctx, *other, 3, "another loop");
    CHECK_THAT(!task.done(), task_says(kind, "running another loop does not run the Task"));
    ctx.run_until_complete(*loop, task, "the Task on its own loop");
  }
}
