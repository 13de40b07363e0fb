// gather() (PEP 3156, "Waiting for Multiple Coroutines"): a Future of the
// results in argument order; if an argument fails or is cancelled first,
// the returned Future "is cancelled or has its exception set (matching what
// happened to the first argument), and the remaining arguments are left
// running in the background. Cancelling the returned Future does not affect
// the arguments." This project follows that text, not asyncio (decision
// D-CORO-1). Each case checks the standard Future and Task and the loop's
// own.
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::future_says;
using library_support::kBothKinds;
using library_support::Kind;
using library_support::new_future;
using library_support::start_task;
using library_support::task_says;

namespace {
std::vector<Awaitable<int>> awaitables(const std::vector<Future<int>>& futures) {
  return {futures.begin(), futures.end()};
}

std::vector<Future<int>> pending_futures(Kind kind, AbstractEventLoop& loop, int n) {
  std::vector<Future<int>> futures;
  for (int i = 0; i < n; ++i) futures.push_back(new_future<int>(kind, loop));
  return futures;
}

bool none_cancelled(const std::vector<Future<int>>& futures) {
  for (const auto& f : futures) {
    if (f.cancelled()) return false;
  }
  return true;
}

/// Returns `value` after a trip through the ready queue, noting whether it
/// ran inside a Task.
Coroutine<int> in_a_task(int value, int* in_task) {
  AbstractEventLoop& loop = co_await this_loop();
  co_await yield_now();
  if (current_task(&loop) != nullptr) ++*in_task;
  co_return value;
}

Coroutine<int> awaits(Future<int> future, bool* finished) {
  int value = co_await future;
  *finished = true;
  co_return value;
}
}  // namespace

LOOPCERT_CASE("coroutines.gather.results_in_argument_order", clauses("GATHER-RESULTS-IN-ORDER")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto f = pending_futures(kind, *loop, 3);
    Future<std::vector<int>> all = gather(awaitables(f), loop.get());
    loop->call_soon([f] { f[2].set_result(20); });
    loop->call_soon([f] { f[0].set_result(0); });
    loop->call_soon([f] { f[1].set_result(10); });
    CHECK_THAT(
        ctx.run_until_complete(*loop, all, "gather() of three Futures") == (std::vector<int>{0, 10, 20}),
        future_says(kind, "gather() returns the results in argument order, whatever the completion order"));
  }
}

LOOPCERT_CASE("coroutines.gather.wraps_coroutines_in_tasks",
              clauses("GATHER-WRAPS-COROUTINES", "GATHER-RESULTS-IN-ORDER")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    int in_task = 0;
    std::vector<Awaitable<int>> args;
    args.emplace_back(in_a_task(1, &in_task));
    args.emplace_back(future);
    args.emplace_back(in_a_task(3, &in_task));
    Future<std::vector<int>> all = gather(std::move(args), loop.get());
    loop->call_soon([future] { future.set_result(2); });
    CHECK_THAT(
        ctx.run_until_complete(*loop, all, "gather() of coroutines and a Future") ==
            (std::vector<int>{1, 2, 3}),
        future_says(kind, "gather() of coroutines and Futures returns every result in argument order"));
    CHECK_EQUAL(in_task, 2, future_says(kind, "each coroutine argument ran in a Task"));
  }
}

LOOPCERT_CASE("coroutines.gather.first_failure_sets_the_exception", clauses("GATHER-FIRST-FAILURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto f = pending_futures(kind, *loop, 3);
    Future<std::vector<int>> all = gather(awaitables(f), loop.get());
    loop->call_soon([f] { f[1].set_exception(std::runtime_error("the first failure")); });
    ctx.expect_throw<std::runtime_error>(
        [&] { ctx.run_until_complete(*loop, all, "gather() with a failing argument"); },
        future_says(kind, "gather() of a failing argument"));
    CHECK_EQUAL(library_support::what_of(all.exception()), std::string("the first failure"),
                future_says(kind, "the returned Future has the failing argument's exception"));
    CHECK_THAT(!f[0].done() && !f[2].done(), future_says(kind, "the remaining arguments are left running"));
    f[0].set_result(0);
    f[2].set_result(2);
    library_support::run_rounds(ctx, *loop, 3, "the other arguments completing");
    CHECK_EQUAL(library_support::what_of(all.exception()), std::string("the first failure"),
                future_says(kind, "and their completion changes nothing"));
  }
}

LOOPCERT_CASE("coroutines.gather.first_of_two_failures_wins", clauses("GATHER-FIRST-FAILURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto f = pending_futures(kind, *loop, 3);
    Future<std::vector<int>> all = gather(awaitables(f), loop.get());
    loop->call_soon([f] { f[2].set_exception(std::runtime_error("first")); });
    loop->call_soon([f] { f[0].set_exception(std::runtime_error("second")); });
    ctx.expect_throw<std::runtime_error>(
        [&] { ctx.run_until_complete(*loop, all, "gather() with two failures"); },
        future_says(kind, "gather() of two failing arguments"));
    CHECK_EQUAL(library_support::what_of(all.exception()), std::string("first"),
                future_says(kind, "the returned Future matches the first argument to fail"));
    f[0].exception();
    f[2].exception();
  }
}

LOOPCERT_CASE("coroutines.gather.cancelled_argument_cancels_it", clauses("GATHER-FIRST-FAILURE")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto f = pending_futures(kind, *loop, 3);
    Future<std::vector<int>> all = gather(awaitables(f), loop.get());
    loop->call_soon([f] { f[0].cancel(); });
    ctx.expect_throw<CancelledError>(
        [&] { ctx.run_until_complete(*loop, all, "gather() with a cancelled argument"); },
        future_says(kind, "gather() of a cancelled argument"));
    CHECK_THAT(all.cancelled(), future_says(kind,
                                            "the returned Future is cancelled when the first argument to end "
                                            "was cancelled (decision D-CORO-1)"));
    CHECK_THAT(!f[1].done() && !f[2].done(), future_says(kind, "the remaining arguments are left running"));
  }
}

LOOPCERT_CASE("coroutines.gather.cancelling_it_leaves_the_arguments_alone",
              clauses("GATHER-OUTER-CANCEL-ISOLATED")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto f = pending_futures(kind, *loop, 2);
    Future<std::vector<int>> all = gather(awaitables(f), loop.get());
    CHECK_THAT(all.cancel(), future_says(kind, "gather()'s Future can be cancelled"));
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    CHECK_THAT(none_cancelled(f) && !f[0].done() && !f[1].done(),
               future_says(kind, "cancelling the returned Future does not affect the arguments"));
    f[0].set_result(1);
    f[1].set_result(2);
    library_support::run_rounds(ctx, *loop, 3, "the arguments completing");
    CHECK_THAT(all.cancelled(), future_says(kind, "the returned Future stays cancelled"));
  }
}

LOOPCERT_CASE("coroutines.gather.cancelling_it_leaves_the_tasks_running",
              clauses("GATHER-OUTER-CANCEL-ISOLATED")) {
  // Coroutine arguments became Tasks: cancelling gather()'s Future does not
  // cancel them; they run to completion.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> release = new_future<int>(kind, *loop);
    bool finished[2] = {false, false};
    std::vector<Awaitable<int>> args;
    args.emplace_back(awaits(release, &finished[0]));
    args.emplace_back(awaits(release, &finished[1]));
    Future<std::vector<int>> all = gather(std::move(args), loop.get());
    library_support::run_rounds(ctx, *loop, 3, "the argument Tasks to start");
    all.cancel();
    library_support::run_rounds(ctx, *loop, 3, "three trips through the ready queue");
    release.set_result(5);
    conformance::stop_when(*loop, [&] { return finished[0] && finished[1]; });
    ctx.run_forever(*loop, "the argument Tasks to finish after gather()'s Future was cancelled");
    CHECK_THAT(finished[0] && finished[1], future_says(kind, "the argument Tasks ran to completion"));
  }
}

LOOPCERT_CASE("coroutines.gather.outcomes_in_argument_order", clauses("GATHER-RESULTS-IN-ORDER")) {
  // Decision D-CORO-7: gather_outcomes() is return_exceptions=True; it
  // never fails because an argument did.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    auto f = pending_futures(kind, *loop, 3);
    std::vector<Awaitable<int>> args(f.begin(), f.end());
    Future<std::vector<Future<int>>> all = gather_outcomes(std::move(args), loop.get());
    loop->call_soon([f] { f[2].set_result(2); });
    loop->call_soon([f] { f[0].set_exception(std::runtime_error("failed")); });
    loop->call_soon([f] { f[1].cancel(); });
    auto outcomes = ctx.run_until_complete(*loop, all, "gather_outcomes() of mixed outcomes");
    CHECK_THAT(outcomes == f,
               future_says(kind, "gather_outcomes() returns every argument, in argument order"));
    CHECK_THAT(
        library_support::what_of(f[0].exception()) == "failed" && f[1].cancelled() && f[2].result() == 2,
        future_says(kind, "each done, with its own outcome"));
  }
}
