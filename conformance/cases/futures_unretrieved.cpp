// An exception nobody retrieved (PEP 3156, "Futures"): "When a Future is
// garbage-collected, if it has an associated exception but neither
// result() nor exception() has ever been called, the exception is logged."
// In C++ that is when its last reference goes, to the loop's exception
// handler (decision D-FUT-3).
#include <stdexcept>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::future_says;
using library_support::HandlerRecord;
using library_support::kBothKinds;
using library_support::new_future;
using library_support::task_says;

namespace {
/// Runs `loop` until the handler heard of `what`, then a little longer.
void wait_for_report(conformance::Context& ctx, AbstractEventLoop& loop, const HandlerRecord& handler,
                     const char* what) {
  conformance::stop_when(loop, [&] { return handler.count_with(what) > 0; });
  ctx.run_forever(loop, conformance::str("the exception handler to be told of \"", what, "\""));
  library_support::run_rounds(ctx, loop, 2, "two more trips through the ready queue");
}

Coroutine<int> fails_with(const char* what) {
  co_await yield_now();
  throw std::runtime_error(what);
}

Coroutine<int> awaits_and_catches(Future<int> failing, bool* caught) {
  try {
    co_return co_await failing;
  } catch (const std::runtime_error&) {
    *caught = true;
  }
  co_return 0;
}
}  // namespace

LOOPCERT_CASE("futures.unretrieved_exception.reported_when_released",
              clauses("FUT-UNRETRIEVED-EXCEPTION-LOGGED")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    HandlerRecord handler;
    handler.install(*loop);
    new_future<int>(kind, *loop).set_exception(std::runtime_error("never retrieved"));
    wait_for_report(ctx, *loop, handler, "never retrieved");
    CHECK_EQUAL(
        handler.count_with("never retrieved"), std::size_t{1},
        future_says(kind, "an exception never retrieved is reported once, with the exception itself"));
  }
}

LOOPCERT_CASE("futures.unretrieved_exception.reported_with_callbacks_run",
              clauses("FUT-UNRETRIEVED-EXCEPTION-LOGGED")) {
  // A done-callback that looks only at done() does not retrieve anything;
  // the report comes once the callback (the last holder) is gone.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    HandlerRecord handler;
    handler.install(*loop);
    {
      Future<int> future = new_future<int>(kind, *loop);
      future.add_done_callback([](Future<int> f) { static_cast<void>(f.done()); });
      future.set_exception(std::runtime_error("seen by a callback, never retrieved"));
    }
    wait_for_report(ctx, *loop, handler, "seen by a callback, never retrieved");
    CHECK_EQUAL(handler.count_with("seen by a callback, never retrieved"), std::size_t{1},
                future_says(kind, "the unretrieved exception is reported once"));
  }
}

LOOPCERT_CASE("futures.unretrieved_exception.not_reported_once_retrieved",
              clauses("FUT-UNRETRIEVED-EXCEPTION-LOGGED")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    HandlerRecord handler;
    handler.install(*loop);
    {
      Future<int> by_exception = new_future<int>(kind, *loop);
      by_exception.set_exception(std::runtime_error("retrieved"));
      static_cast<void>(by_exception.exception());
      Future<int> by_result = new_future<int>(kind, *loop);
      by_result.set_exception(std::runtime_error("retrieved"));
      try {
        by_result.result();
      } catch (const std::runtime_error&) {
      }
    }
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    CHECK_EQUAL(handler.count_with("retrieved"), std::size_t{0},
                future_says(kind, "an exception retrieved with exception() or result() is not reported"));
  }
}

LOOPCERT_CASE("futures.unretrieved_exception.not_reported_without_exception",
              clauses("FUT-UNRETRIEVED-EXCEPTION-LOGGED")) {
  // Only "an associated exception" is reported: not a result, not a
  // cancellation.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    HandlerRecord handler;
    handler.install(*loop);
    new_future<int>(kind, *loop).set_result(1);
    new_future<int>(kind, *loop).cancel();
    static_cast<void>(new_future<int>(kind, *loop));
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    CHECK_EQUAL(handler.contexts().size(), std::size_t{0},
                future_says(kind, "a Future released with a result, cancelled or pending is not reported"));
  }
}

LOOPCERT_CASE("futures.unretrieved_exception.awaiting_retrieves",
              clauses("FUT-UNRETRIEVED-EXCEPTION-LOGGED", "CORO-AWAIT-FUTURE")) {
  // PEP 3156: "When a coroutine uses yield from to wait for a Future, that
  // Future's result() method is called once the coroutine is resumed."
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    HandlerRecord handler;
    handler.install(*loop);
    bool caught = false;
    Task<int> task;
    {
      Future<int> failing = new_future<int>(kind, *loop);
      task = library_support::start_task(kind, *loop, awaits_and_catches(failing, &caught));
      loop->call_soon([failing] { failing.set_exception(std::runtime_error("awaited")); });
    }
    ctx.run_until_complete(*loop, task, "a Task that awaits a failing Future");
    library_support::run_rounds(ctx, *loop, 2, "two more trips through the ready queue");
    CHECK_THAT(caught, future_says(kind, "awaiting the Future raised its exception"));
    CHECK_EQUAL(handler.count_with("awaited"), std::size_t{0},
                future_says(kind, "an exception raised by co_await counts as retrieved"));
  }
}

LOOPCERT_CASE("futures.unretrieved_exception.task_reported_when_released",
              clauses("FUT-UNRETRIEVED-EXCEPTION-LOGGED", "TASK-IS-FUTURE")) {
  // A Task is a Future: the exception of a Task nobody looks at is
  // reported too, once the loop has finished with it.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    HandlerRecord handler;
    handler.install(*loop);
    static_cast<void>(library_support::start_task(kind, *loop, fails_with("a Task nobody awaited")));
    wait_for_report(ctx, *loop, handler, "a Task nobody awaited");
    CHECK_EQUAL(handler.count_with("a Task nobody awaited"), std::size_t{1},
                task_says(kind, "the unretrieved exception of a released Task is reported once"));
  }
}
