// wait() (PEP 3156, "Waiting for Multiple Coroutines"): waits for Futures
// or coroutines (wrapped in Tasks) until ALL_COMPLETED, FIRST_COMPLETED or
// FIRST_EXCEPTION holds, or the timeout passes, and returns (done,
// pending) without cancelling or raising (PEP 3148's semantics; decision
// D-CORO-2: done and pending are vectors, their order is not checked).
// Each case checks the standard Future and Task and the loop's own.
#include <algorithm>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::kBothKinds;
using library_support::Kind;
using library_support::new_future;
using library_support::start_task;
using library_support::task_says;

namespace {

/// What wait() returned, and the state of the inputs at that moment.
struct WaitOutcome {
  WaitResult<int> result;
  bool every_input_done_at_return = false;
  double waited = 0;  // loop time
};

Coroutine<WaitOutcome> wait_and_look(std::vector<Future<int>> inputs, WaitOptions options) {
  AbstractEventLoop& loop = co_await this_loop();
  double start = loop.time();
  WaitOutcome outcome;
  std::vector<Awaitable<int>> awaitables(inputs.begin(), inputs.end());
  outcome.result = co_await wait(std::move(awaitables), options);
  outcome.waited = loop.time() - start;
  outcome.every_input_done_at_return =
      std::all_of(inputs.begin(), inputs.end(), [](const Future<int>& f) { return f.done(); });
  co_return outcome;
}

bool same_set(std::vector<Future<int>> actual, std::vector<Future<int>> expected) {
  auto by_state = [](const Future<int>& a, const Future<int>& b) { return a.state() < b.state(); };
  std::sort(actual.begin(), actual.end(), by_state);
  std::sort(expected.begin(), expected.end(), by_state);
  return actual == expected;
}

bool none_cancelled(const std::vector<Future<int>>& futures) {
  return std::none_of(futures.begin(), futures.end(), [](const Future<int>& f) { return f.cancelled(); });
}

/// Runs `steps` one trip through the ready queue apart, in order.
void complete_in_turn(AbstractEventLoop& loop, std::vector<std::function<void()>> steps) {
  if (steps.empty()) return;
  loop.call_soon([&loop, steps = std::move(steps)]() mutable {
    steps.front()();
    steps.erase(steps.begin());
    complete_in_turn(loop, std::move(steps));
  });
}

/// A loop and three pending inputs on it.
struct Setup {
  std::shared_ptr<AbstractEventLoop> loop;
  std::vector<Future<int>> f;
};
Setup three_futures(conformance::Context& ctx, Kind kind) {
  Setup s{ctx.new_loop(), {}};
  for (int i = 0; i < 3; ++i) s.f.push_back(new_future<int>(kind, *s.loop));
  return s;
}

Coroutine<int> returns_after_yield(int value) {
  co_await yield_now();
  co_return value;
}
Coroutine<int> never_returns(Future<int> never) { co_return co_await never; }

Coroutine<WaitResult<int>> wait_mixed(Future<int> future, Future<int> never) {
  std::vector<Awaitable<int>> inputs;
  inputs.emplace_back(returns_after_yield(3));
  inputs.emplace_back(future);
  inputs.emplace_back(never_returns(never));
  co_return co_await wait(std::move(inputs), {.return_when = FIRST_COMPLETED});
}

Coroutine<bool> wait_on_nothing_raises_value_error() {
  try {
    co_await wait(std::vector<Awaitable<int>>{});
  } catch (const ValueError&) {
    co_return true;
  }
  co_return false;
}

}  // namespace

LOOPCERT_CASE("coroutines.wait.all_completed_waits_for_every_input",
              clauses("WAIT-ALL-COMPLETED", "WAIT-DONE-PENDING", "WAIT-CONSTANTS")) {
  // The default return_when; a result, an exception and a cancellation,
  // one iteration apart, all count as completed.
  CHECK_THAT(WaitOptions{}.return_when == ALL_COMPLETED, "return_when defaults to ALL_COMPLETED");
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {}));
    complete_in_turn(*loop, {[f] { f[1].set_result(1); },
                             [f] { f[0].set_exception(std::runtime_error("e")); }, [f] { f[2].cancel(); }});
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with ALL_COMPLETED");
    CHECK_THAT(out.every_input_done_at_return,
               task_says(kind, "wait(ALL_COMPLETED) returns only once every input is done"));
    CHECK_THAT(same_set(out.result.done, f) && out.result.pending.empty(),
               task_says(kind, "done holds every input, pending none"));
    f[0].exception();
  }
}

LOOPCERT_CASE("coroutines.wait.first_completed_returns_at_the_first",
              clauses("WAIT-FIRST-COMPLETED", "WAIT-DONE-PENDING")) {
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {.return_when = FIRST_COMPLETED}));
    loop->call_soon([f] { f[1].set_result(1); });
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with FIRST_COMPLETED");
    CHECK_THAT(
        same_set(out.result.done, {f[1]}) && same_set(out.result.pending, {f[0], f[2]}),
        task_says(kind, "wait(FIRST_COMPLETED) returns once one input is done: done {it}, pending the rest"));
    CHECK_THAT(none_cancelled(f), task_says(kind, "wait() cancels none of the pending inputs"));
  }
}

LOOPCERT_CASE("coroutines.wait.first_completed_counts_a_cancellation",
              clauses("WAIT-FIRST-COMPLETED", "WAIT-DONE-PENDING")) {
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {.return_when = FIRST_COMPLETED}));
    loop->call_soon([f] { f[2].cancel(); });
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with FIRST_COMPLETED and a cancellation");
    CHECK_THAT(same_set(out.result.done, {f[2]}) && same_set(out.result.pending, {f[0], f[1]}),
               task_says(kind, "a cancelled input is done: wait(FIRST_COMPLETED) returns"));
  }
}

LOOPCERT_CASE("coroutines.wait.first_exception_returns_at_the_exception",
              clauses("WAIT-FIRST-EXCEPTION", "WAIT-DONE-PENDING")) {
  // A result first does not end the wait; the exception after it does.
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {.return_when = FIRST_EXCEPTION}));
    complete_in_turn(*loop,
                     {[f] { f[0].set_result(0); }, [f] { f[1].set_exception(std::runtime_error("e")); }});
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with FIRST_EXCEPTION");
    CHECK_THAT(
        same_set(out.result.done, {f[0], f[1]}) && same_set(out.result.pending, {f[2]}),
        task_says(kind, "wait(FIRST_EXCEPTION) returns at the first exception, not at the first result"));
    CHECK_THAT(none_cancelled(f), task_says(kind, "wait() cancels none of the pending inputs"));
    f[1].exception();
  }
}

LOOPCERT_CASE("coroutines.wait.first_exception_ignores_cancellation", clauses("WAIT-FIRST-EXCEPTION")) {
  // PEP 3156: "done but not cancelled with an exception set. (The exclusion
  // of cancelled Futures from the condition is surprising, but PEP 3148
  // does it this way.)" Without an exception it is ALL_COMPLETED.
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {.return_when = FIRST_EXCEPTION}));
    complete_in_turn(*loop,
                     {[f] { f[0].cancel(); }, [f] { f[1].set_result(1); }, [f] { f[2].set_result(2); }});
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with FIRST_EXCEPTION and a cancellation");
    CHECK_THAT(out.every_input_done_at_return && out.result.pending.empty(),
               task_says(kind, "a cancellation does not end wait(FIRST_EXCEPTION); it waits for all"));
  }
}

LOOPCERT_CASE("coroutines.wait.first_exception_without_one_waits_for_all", clauses("WAIT-FIRST-EXCEPTION")) {
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {.return_when = FIRST_EXCEPTION}));
    complete_in_turn(*loop,
                     {[f] { f[2].set_result(2); }, [f] { f[0].set_result(0); }, [f] { f[1].set_result(1); }});
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with FIRST_EXCEPTION and only results");
    CHECK_THAT(out.every_input_done_at_return && same_set(out.result.done, f),
               task_says(kind, "with no exception, wait(FIRST_EXCEPTION) returns when all are done"));
  }
}

LOOPCERT_CASE("coroutines.wait.timeout_neither_raises_nor_cancels",
              clauses("WAIT-TIMEOUT", "WAIT-DONE-PENDING")) {
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    const double timeout = 0.02;
    Task<WaitOutcome> waiter = start_task(kind, *loop, wait_and_look(f, {.timeout = timeout}));
    loop->call_soon([f] { f[0].set_result(0); });
    WaitOutcome out = ctx.run_until_complete(*loop, waiter, "wait() with a timeout");
    CHECK_THAT(same_set(out.result.done, {f[0]}) && same_set(out.result.pending, {f[1], f[2]}),
               task_says(kind, "after the timeout, wait() returns the unfinished inputs in pending"));
    CHECK_THAT(none_cancelled(f), task_says(kind, "the timeout cancels nothing"));
    CHECK_THAT(out.waited >= timeout - ctx.clock_resolution(),
               task_says(kind, conformance::str("wait() returned after ", out.waited,
                                                " s: not before the timeout less the clock resolution")));
  }
}

LOOPCERT_CASE("coroutines.wait.inputs_already_done", clauses("WAIT-ALL-COMPLETED", "WAIT-DONE-PENDING")) {
  for (auto kind : kBothKinds) {
    auto [loop, f] = three_futures(ctx, kind);
    for (int i = 0; i < 3; ++i) f[i].set_result(i);
    WaitOutcome out = ctx.run_until_complete(*loop, start_task(kind, *loop, wait_and_look(f, {})),
                                             "wait() on done Futures");
    CHECK_THAT(same_set(out.result.done, f) && out.result.pending.empty(),
               task_says(kind, "wait() on inputs already done returns them all in done"));
  }
}

LOOPCERT_CASE("coroutines.wait.wraps_coroutines_in_tasks",
              clauses("WAIT-WRAPS-COROUTINES", "WAIT-DONE-PENDING")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> never = new_future<int>(kind, *loop);
    Future<int> pending_future = new_future<int>(kind, *loop);
    WaitResult<int> out =
        ctx.run_until_complete(*loop, start_task(kind, *loop, wait_mixed(pending_future, never)),
                               "wait() on coroutines and a Future");
    REQUIRE_EQUAL(out.done.size(), std::size_t{1}, task_says(kind, "the quick coroutine completed first"));
    CHECK_THAT(&out.done[0].get_loop() == loop.get() && out.done[0].result() == 3,
               task_says(kind, "a coroutine input is in done as a Future on the loop, with its result"));
    REQUIRE_EQUAL(out.pending.size(), std::size_t{2}, task_says(kind, "the other two inputs are pending"));
    bool wrapped_listed = false;
    for (const auto& p : out.pending) {
      for (const auto& t : all_tasks(loop.get())) wrapped_listed |= (p.state() == t);
    }
    CHECK_THAT(wrapped_listed, task_says(kind, "the pending coroutine input is a Task of the loop"));
    for (const auto& p : out.pending) p.cancel();
    library_support::run_rounds(ctx, *loop, 3, "the cancelled inputs");
  }
}

LOOPCERT_CASE("coroutines.wait.empty_input_raises_value_error",
              clauses("WAIT-DONE-PENDING").extension("D-CORO-2")) {
  // Decision D-CORO-2: an empty set of Futures is a ValueError. asyncio's
  // rule, not the PEP's: an extension.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    CHECK_THAT(ctx.run_until_complete(*loop, start_task(kind, *loop, wait_on_nothing_raises_value_error()),
                                      "wait() on no Futures"),
               task_says(kind, "wait() on no Futures raises ValueError"));
  }
}
