// Futures in coroutines, and the Future helpers (PEP 3156, "Futures" and
// "Coroutines"): a Future is awaitable ("result = yield from future");
// ensure_future() passes a Future through and wraps a coroutine in a Task;
// wrap_future() brings a PEP 3148 (here: std::) future onto the loop.
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::future_says;
using library_support::kBothKinds;
using library_support::new_future;

namespace {
struct AwaitLog {
  bool before = false;
  bool after = false;
  int result = 0;
  std::string raised;  // what() of what co_await raised
  bool cancelled_error = false;
};

Coroutine<void> await_and_log(Future<int> future, AwaitLog* log) {
  log->before = true;
  try {
    log->result = co_await future;
  } catch (const CancelledError&) {
    log->cancelled_error = true;
  } catch (const std::exception& e) {
    log->raised = e.what();
  }
  log->after = true;
}

Coroutine<int> returns(int value) {
  co_await yield_now();
  co_return value;
}
}  // namespace

LOOPCERT_CASE("futures.await.suspends_until_done",
              clauses("FUT-AWAITABLE", "CORO-AWAIT-FUTURE", "CORO-ONLY-WHEN-LOOP-RUNS")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    AwaitLog log;
    Task<void> task = library_support::start_task(kind, *loop, await_and_log(future, &log));
    conformance::stop_when(*loop, [&] { return log.before; });
    ctx.run_forever(*loop, "a Task to start");
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    CHECK_THAT(log.before && !log.after,
               future_says(kind, "the coroutine is suspended at co_await while the Future is pending"));
    CHECK_THAT(!task.done(), future_says(kind, "and its Task is not done"));
    future.set_result(17);
    CHECK_THAT(!log.after, future_says(kind, "set_result() does not resume the coroutine; the loop does"));
    ctx.run_until_complete(*loop, task, "the Task, once its Future is done");
    CHECK_EQUAL(log.result, 17, future_says(kind, "co_await returns the Future's result"));
  }
}

LOOPCERT_CASE("futures.await.raises_the_exception",
              clauses("FUT-AWAITABLE", "CORO-AWAIT-FUTURE", "LOOP-ERR-FUTURE-PASSTHROUGH")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    AwaitLog log;
    Task<void> task = library_support::start_task(kind, *loop, await_and_log(future, &log));
    loop->call_soon([future] { future.set_exception(std::invalid_argument("the Future's exception")); });
    ctx.run_until_complete(*loop, task, "a Task that awaits a failing Future");
    CHECK_EQUAL(log.raised, std::string("the Future's exception"),
                future_says(kind, "co_await raises the Future's exception in the coroutine"));
  }
}

LOOPCERT_CASE("futures.await.cancelled_raises_cancelled_error",
              clauses("FUT-AWAITABLE", "CORO-AWAIT-FUTURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    AwaitLog log;
    Task<void> task = library_support::start_task(kind, *loop, await_and_log(future, &log));
    loop->call_soon([future] { future.cancel(); });
    ctx.run_until_complete(*loop, task, "a Task that awaits a Future someone cancels");
    CHECK_THAT(log.cancelled_error,
               future_says(kind, "co_await on a cancelled Future raises CancelledError"));
  }
}

LOOPCERT_CASE("futures.await.done_future", clauses("FUT-AWAITABLE", "CORO-AWAIT-FUTURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    future.set_result(23);
    AwaitLog log;
    Task<void> task = library_support::start_task(kind, *loop, await_and_log(future, &log));
    ctx.run_until_complete(*loop, task, "a Task that awaits a done Future");
    CHECK_EQUAL(log.result, 23, future_says(kind, "co_await on a done Future returns its result"));
  }
}

LOOPCERT_CASE("futures.ensure_future.future_unchanged", clauses("FUT-ENSURE-FUTURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    CHECK_THAT(ensure_future<int>(future, loop.get()) == future,
               future_says(kind, "ensure_future() returns a Future unchanged"));
    Task<int> task = library_support::start_task(kind, *loop, returns(1));
    CHECK_THAT(ensure_future<int>(task, loop.get()) == task, future_says(kind, "and a Task too"));
    ctx.run_until_complete(*loop, task, "the Task");
  }
}

LOOPCERT_CASE("futures.ensure_future.coroutine_wrapped_in_task",
              clauses("FUT-ENSURE-FUTURE", "TASK-ALL-TASKS", "CORO-LAZY-START")) {
  auto loop = ctx.new_loop();
  Future<int> wrapped = ensure_future<int>(returns(31), loop.get());
  REQUIRE_THAT(wrapped.valid(), "ensure_future() of a coroutine returns a Future");
  CHECK_THAT(&wrapped.get_loop() == loop.get(), "on the loop it was given");
  CHECK_THAT(!wrapped.done(), "the coroutine has not run yet");
  bool listed = false;
  for (const auto& task : all_tasks(loop.get())) listed |= task == wrapped.state();
  CHECK_THAT(listed, "the Future is a Task of the loop (all_tasks() lists it)");
  CHECK_EQUAL(ctx.run_until_complete(*loop, wrapped, "the wrapped coroutine"), 31,
              "the Task's result is the coroutine's");
}

LOOPCERT_CASE("futures.wrap_future.result", clauses("FUT-WRAP-FUTURE")) {
  auto loop = ctx.new_loop();
  std::promise<std::string> promise;
  Future<std::string> wrapped = wrap_future(promise.get_future(), loop.get());
  CHECK_THAT(&wrapped.get_loop() == loop.get(), "wrap_future() returns a Future on the loop");
  CHECK_THAT(!wrapped.done(), "pending while the std::future is");
  std::thread producer([&promise] { promise.set_value("from another thread"); });
  std::string result = ctx.run_until_complete(*loop, wrapped, "a wrapped std::future");
  ctx.join(producer, "the thread that fulfils the promise");
  CHECK_EQUAL(result, std::string("from another thread"),
              "the Future completes with the std::future's result");
}

LOOPCERT_CASE("futures.wrap_future.exception", clauses("FUT-WRAP-FUTURE")) {
  auto loop = ctx.new_loop();
  std::promise<int> promise;
  promise.set_exception(std::make_exception_ptr(std::domain_error("the std::future's exception")));
  Future<int> wrapped = wrap_future(promise.get_future(), loop.get());
  ctx.expect_throw<std::domain_error>(
      [&] { ctx.run_until_complete(*loop, wrapped, "a wrapped failed std::future"); },
      "run_until_complete() of a wrapped std::future that failed");
  CHECK_EQUAL(library_support::what_of(wrapped.exception()), std::string("the std::future's exception"),
              "the Future completes with the std::future's exception");
}
