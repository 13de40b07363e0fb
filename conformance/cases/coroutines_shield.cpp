// shield() (PEP 3156, "Waiting for Multiple Coroutines"): "This returns a
// Future whose result or exception is exactly the same as the argument;
// however, if the returned Future is cancelled, the argument Future is
// unaffected." Each case checks the standard Future and Task and the
// loop's own.
#include <stdexcept>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::future_says;
using library_support::kBothKinds;
using library_support::new_future;
using library_support::start_task;
using library_support::task_says;

namespace {
Coroutine<int> returns_after_yield(int value) {
  co_await yield_now();
  co_return value;
}

Coroutine<int> awaits(Future<int> future) { co_return co_await future; }

Coroutine<std::string> awaits_shielded(Task<int> inner, bool* started) {
  *started = true;
  try {
    co_await shield<int>(inner);
  } catch (const CancelledError&) {
    co_return std::string("CancelledError");
  }
  co_return std::string("no exception");
}
}  // namespace

LOOPCERT_CASE("coroutines.shield.mirrors_the_result", clauses("SHIELD")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> inner = new_future<int>(kind, *loop);
    Future<int> outer = shield<int>(inner, loop.get());
    loop->call_soon([inner] { inner.set_result(15); });
    CHECK_EQUAL(ctx.run_until_complete(*loop, outer, "a shielded Future"), 15,
                future_says(kind, "shield()'s Future has the argument's result"));
  }
}

LOOPCERT_CASE("coroutines.shield.mirrors_the_exception", clauses("SHIELD")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> inner = new_future<int>(kind, *loop);
    Future<int> outer = shield<int>(inner, loop.get());
    loop->call_soon([inner] { inner.set_exception(std::runtime_error("the argument's exception")); });
    ctx.expect_throw<std::runtime_error>(
        [&] { ctx.run_until_complete(*loop, outer, "a shielded failing Future"); },
        future_says(kind, "run_until_complete() of shield()'s Future"));
    CHECK_EQUAL(library_support::what_of(outer.exception()), std::string("the argument's exception"),
                future_says(kind, "shield()'s Future has the argument's exception"));
  }
}

LOOPCERT_CASE("coroutines.shield.of_a_coroutine", clauses("SHIELD")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Task<int> outer_task = start_task(kind, *loop, awaits(shield<int>(returns_after_yield(21), loop.get())));
    CHECK_EQUAL(ctx.run_until_complete(*loop, outer_task, "a shielded coroutine"), 21,
                task_says(kind, "shield() of a coroutine has the coroutine's result"));
  }
}

LOOPCERT_CASE("coroutines.shield.cancelling_it_leaves_the_argument_alone", clauses("SHIELD")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> inner = new_future<int>(kind, *loop);
    Future<int> outer = shield<int>(inner, loop.get());
    CHECK_THAT(outer.cancel(), future_says(kind, "shield()'s Future can be cancelled"));
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    CHECK_THAT(outer.cancelled(), future_says(kind, "shield()'s Future is cancelled"));
    CHECK_THAT(!inner.done(), future_says(kind, "the argument is unaffected: still pending"));
    inner.set_result(2);
    library_support::run_rounds(ctx, *loop, 3, "the argument's done-callbacks");
    CHECK_THAT(inner.result() == 2 && outer.cancelled(),
               future_says(kind, "the argument completes normally; shield()'s Future stays cancelled"));
  }
}

LOOPCERT_CASE("coroutines.shield.cancelled_awaiter_leaves_the_task_running",
              clauses("SHIELD", "TASK-CANCEL-THROWS")) {
  // The usual use: a Task awaits shield(other_task) and is cancelled; it
  // gets CancelledError, and the other Task runs to completion.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> release = new_future<int>(kind, *loop);
    Task<int> inner = start_task(kind, *loop, awaits(release));
    bool started = false;
    Task<std::string> awaiter = start_task(kind, *loop, awaits_shielded(inner, &started));
    conformance::stop_when(*loop, [&] { return started; });
    ctx.run_forever(*loop, "the awaiting Task to start");
    awaiter.cancel();
    CHECK_EQUAL(ctx.run_until_complete(*loop, awaiter, "the cancelled awaiter"),
                std::string("CancelledError"),
                task_says(kind, "the Task awaiting shield() gets CancelledError"));
    CHECK_THAT(!inner.done(), task_says(kind, "the shielded Task is not cancelled"));
    release.set_result(6);
    CHECK_EQUAL(ctx.run_until_complete(*loop, inner, "the shielded Task"), 6,
                task_says(kind, "the shielded Task runs to completion"));
  }
}
