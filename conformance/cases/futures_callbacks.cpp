// Done-callbacks (PEP 3156, "Futures"): "The callback is never called
// immediately ... You can think of this as calling the callback through
// call_soon()", with "a single argument, the Future object". Whatever makes
// the Future done (set_result, set_exception, cancel) or registers on a done
// one (add_done_callback) only schedules; the loop calls, and only while it
// runs. Each case checks the standard Future and the loop's own.
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::future_says;
using library_support::kBothKinds;
using library_support::Kind;
using library_support::new_future;

namespace {

/// When the counting done-callback is added: before the Future is made
/// done, or once it is.
enum class Added { before_done, once_done };

/// Adds a counting done-callback (before or after `make_done` makes the
/// Future done, as `added` says) and checks that `what` only scheduled it:
/// the loop calls it, exactly once.
void check_scheduled_not_called(conformance::Context& ctx, Kind kind, Added added, const char* what,
                                const std::function<void(Future<int>&)>& make_done) {
  auto loop = ctx.new_loop();
  Future<int> future = new_future<int>(kind, *loop);
  int calls = 0;
  auto count = [&calls](Future<int>) { ++calls; };
  if (added == Added::before_done) future.add_done_callback(count);
  make_done(future);
  if (added == Added::once_done) future.add_done_callback(count);
  CHECK_EQUAL(calls, 0,
              future_says(kind, conformance::str(what, " schedules the done-callback; it does not call it")));
  conformance::stop_when(*loop, [&] { return calls > 0; });
  ctx.run_forever(*loop, conformance::str("the done-callback scheduled by ", what));
  library_support::run_rounds(ctx, *loop, 2, "two more trips through the ready queue");
  CHECK_EQUAL(calls, 1, future_says(kind, "the loop calls the done-callback exactly once"));
  if (!future.cancelled()) future.exception();  // retrieved: nothing to report
}

void set_one(Future<int>& f) { f.set_result(1); }
void fail(Future<int>& f) { f.set_exception(std::runtime_error("failed")); }
void cancel(Future<int>& f) { f.cancel(); }

}  // namespace

LOOPCERT_CASE("futures.done_callback.not_called_by_set_result",
              clauses("FUT-CALLBACK-NEVER-IMMEDIATE", "FUT-SET-RESULT")) {
  for (auto kind : kBothKinds)
    check_scheduled_not_called(ctx, kind, Added::before_done, "set_result()", set_one);
}

LOOPCERT_CASE("futures.done_callback.not_called_by_set_exception",
              clauses("FUT-CALLBACK-NEVER-IMMEDIATE", "FUT-SET-EXCEPTION")) {
  for (auto kind : kBothKinds)
    check_scheduled_not_called(ctx, kind, Added::before_done, "set_exception()", fail);
}

LOOPCERT_CASE("futures.done_callback.not_called_by_cancel",
              clauses("FUT-CALLBACK-NEVER-IMMEDIATE", "FUT-CANCEL-PENDING")) {
  for (auto kind : kBothKinds) check_scheduled_not_called(ctx, kind, Added::before_done, "cancel()", cancel);
}

LOOPCERT_CASE("futures.done_callback.added_to_future_with_result",
              clauses("FUT-CALLBACK-SCHEDULED", "FUT-CALLBACK-NEVER-IMMEDIATE")) {
  for (auto kind : kBothKinds)
    check_scheduled_not_called(ctx, kind, Added::once_done, "add_done_callback() on a Future with a result",
                               set_one);
}

LOOPCERT_CASE("futures.done_callback.added_to_future_with_exception",
              clauses("FUT-CALLBACK-SCHEDULED", "FUT-CALLBACK-NEVER-IMMEDIATE")) {
  for (auto kind : kBothKinds)
    check_scheduled_not_called(ctx, kind, Added::once_done,
                               "add_done_callback() on a Future with an exception", fail);
}

LOOPCERT_CASE("futures.done_callback.added_to_cancelled_future",
              clauses("FUT-CALLBACK-SCHEDULED", "FUT-CALLBACK-NEVER-IMMEDIATE")) {
  for (auto kind : kBothKinds)
    check_scheduled_not_called(ctx, kind, Added::once_done, "add_done_callback() on a cancelled Future",
                               cancel);
}

LOOPCERT_CASE("futures.done_callback.not_called_inside_a_running_callback",
              clauses("FUT-CALLBACK-NEVER-IMMEDIATE", "FUT-CALLBACK-SERIALIZED")) {
  // While the loop runs, a callback completes a Future and then goes on:
  // the done-callback must not run until that callback has returned, even
  // though the loop is right there to run it.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    bool completer_returned = false;
    bool ran_after_completer = false;
    bool late_ran_after_adder = false;
    bool adder_returned = false;
    int calls = 0;
    future.add_done_callback([&](Future<int>) {
      ran_after_completer = completer_returned;
      ++calls;
    });
    loop->call_soon([&] {
      future.set_result(1);
      completer_returned = true;
    });
    loop->call_soon([&] {
      future.add_done_callback([&](Future<int>) {
        late_ran_after_adder = adder_returned;
        ++calls;
      });
      adder_returned = true;
    });
    conformance::stop_when(*loop, [&] { return calls >= 2; });
    ctx.run_forever(*loop, "two done-callbacks");
    CHECK_THAT(
        ran_after_completer,
        future_says(kind, "the done-callback ran after the callback that called set_result() returned"));
    CHECK_THAT(late_ran_after_adder,
               future_says(kind,
                           "a done-callback added to a done Future from a running callback ran after "
                           "that callback returned"));
  }
}

LOOPCERT_CASE("futures.done_callback.scheduled_like_call_soon",
              clauses("FUT-CALLBACK-SCHEDULED", "FUT-CALLBACK-SERIALIZED")) {
  // "You can think of this as calling the callback through call_soon()":
  // set_result() schedules the done-callbacks there and then, behind the
  // callbacks already scheduled and ahead of those scheduled after it.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    std::vector<std::string> order;
    future.add_done_callback([&](Future<int>) { order.push_back("done-callback"); });
    loop->call_soon([&] { order.push_back("scheduled before"); });
    future.set_result(1);
    loop->call_soon([&] {
      order.push_back("scheduled after");
      loop->stop();
    });
    ctx.run_forever(*loop, "call_soon() callbacks around a done-callback");
    CHECK_THAT(order == (std::vector<std::string>{"scheduled before", "done-callback", "scheduled after"}),
               future_says(kind,
                           "done-callbacks take their place in the call_soon() queue when the Future "
                           "becomes done"));
  }
}

LOOPCERT_CASE("futures.done_callback.registration_order", clauses("FUT-CALLBACK-SCHEDULED")) {
  // PEP 3156 lists its differences with PEP 3148's Future, and the order of
  // the callbacks is not one of them: "Added callables are called in the
  // order that they were added" (PEP 3148, add_done_callback).
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    std::vector<int> order;
    for (int i = 0; i < 6; ++i) future.add_done_callback([&order, i](Future<int>) { order.push_back(i); });
    loop->call_soon([future] { future.set_result(0); });
    conformance::stop_when(*loop, [&] { return order.size() >= 6; });
    ctx.run_forever(*loop, "six done-callbacks");
    CHECK_THAT(order == (std::vector<int>{0, 1, 2, 3, 4, 5}),
               future_says(kind, "done-callbacks are called in the order they were added"));
  }
}

LOOPCERT_CASE("futures.done_callback.order_before_and_after_done", clauses("FUT-CALLBACK-SCHEDULED")) {
  // Callbacks added before the Future is done are scheduled when it
  // becomes done; those added afterwards, when added: behind the first.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    std::vector<std::string> order;
    future.add_done_callback([&](Future<int>) { order.push_back("added before 1"); });
    future.add_done_callback([&](Future<int>) { order.push_back("added before 2"); });
    future.set_exception(std::runtime_error("done"));
    future.add_done_callback([&](Future<int>) { order.push_back("added after"); });
    conformance::stop_when(*loop, [&] { return order.size() >= 3; });
    ctx.run_forever(*loop, "three done-callbacks");
    CHECK_THAT(order == (std::vector<std::string>{"added before 1", "added before 2", "added after"}),
               future_says(kind, "callbacks added once the Future is done run after those it scheduled"));
    future.exception();
  }
}

LOOPCERT_CASE("futures.done_callback.receives_the_done_future", clauses("FUT-CALLBACK-ONE-ARG")) {
  // The single argument is the Future itself, already in its final state,
  // whichever way it got there.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> with_result = new_future<int>(kind, *loop);
    Future<int> with_exception = new_future<int>(kind, *loop);
    Future<int> cancelled = new_future<int>(kind, *loop);
    int checked = 0;
    with_result.add_done_callback([&](Future<int> f) {
      CHECK_THAT(f == with_result && f.done() && f.result() == 8,
                 future_says(kind, "a done-callback receives the Future, holding its result"));
      ++checked;
    });
    with_exception.add_done_callback([&](Future<int> f) {
      CHECK_THAT(f == with_exception && library_support::what_of(f.exception()) == "failed",
                 future_says(kind, "a done-callback receives the Future, holding its exception"));
      ++checked;
    });
    cancelled.add_done_callback([&](Future<int> f) {
      CHECK_THAT(f == cancelled && f.cancelled(),
                 future_says(kind, "a done-callback receives the cancelled Future"));
      ++checked;
    });
    loop->call_soon([&] {
      with_result.set_result(8);
      with_exception.set_exception(std::runtime_error("failed"));
      cancelled.cancel();
    });
    conformance::stop_when(*loop, [&] { return checked >= 3; });
    ctx.run_forever(*loop, "three done-callbacks");
  }
}

LOOPCERT_CASE("futures.done_callback.exception_does_not_stop_the_others",
              clauses("FUT-CALLBACK-SERIALIZED", "LOOP-ERR-HANDLER-RECEIVES")) {
  // Each done-callback is a loop callback of its own: one that throws is
  // reported to the exception handler like any callback, and the next
  // done-callback still runs.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    library_support::HandlerRecord handler;
    handler.install(*loop);
    Future<int> future = new_future<int>(kind, *loop);
    bool second_ran = false;
    future.add_done_callback([](Future<int>) { throw std::runtime_error("raised by a done-callback"); });
    future.add_done_callback([&](Future<int>) { second_ran = true; });
    future.set_result(1);
    conformance::stop_when(*loop, [&] { return second_ran; });
    ctx.run_forever(*loop, "the done-callback after one that throws");
    CHECK_EQUAL(handler.count_with("raised by a done-callback"), std::size_t{1},
                future_says(kind, "the exception of a done-callback reaches the loop's exception handler"));
  }
}

LOOPCERT_CASE("futures.done_callback.runs_on_the_futures_loop",
              clauses("FUT-LOOP-BOUND", "FUT-CALLBACK-SCHEDULED")) {
  // "A Future is associated with an event loop when it is created": its
  // callbacks are that loop's, and running another loop does not run them.
  for (auto kind : kBothKinds) {
    auto own = ctx.new_loop();
    auto other = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *own);
    CHECK_THAT(&future.get_loop() == own.get(),
               future_says(kind, "get_loop() is the loop it was created on"));
    int calls = 0;
    future.add_done_callback([&calls](Future<int>) { ++calls; });
    future.set_result(1);
    library_support::run_rounds(ctx, *other, 3, "another loop, three trips through its ready queue");
    CHECK_EQUAL(calls, 0, future_says(kind, "running another loop does not run the Future's callbacks"));
    conformance::stop_when(*own, [&] { return calls > 0; });
    ctx.run_forever(*own, "the done-callback, on the Future's own loop");
    CHECK_EQUAL(calls, 1, future_says(kind, "the Future's own loop runs its callback"));
  }
}

LOOPCERT_CASE("futures.remove_done_callback.returns_count_and_prevents_call",
              clauses("FUT-REMOVE-DONE-CALLBACK")) {
  // Decision D-FUT-1: the registration's id is what "equal to the
  // argument passed to add_done_callback()" compares.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    std::vector<std::string> calls;
    future.add_done_callback([&](Future<int>) { calls.push_back("kept 1"); });
    CallbackId removed = future.add_done_callback([&](Future<int>) { calls.push_back("removed"); });
    future.add_done_callback([&](Future<int>) { calls.push_back("kept 2"); });
    CHECK_EQUAL(future.remove_done_callback(removed), std::size_t{1},
                future_says(kind, "remove_done_callback() of a registered callback returns 1"));
    CHECK_EQUAL(future.remove_done_callback(removed), std::size_t{0},
                future_says(kind, "removing it again returns 0"));
    future.set_result(1);
    conformance::stop_when(*loop, [&] { return calls.size() >= 2; });
    ctx.run_forever(*loop, "the two remaining done-callbacks");
    library_support::run_rounds(ctx, *loop, 2, "two more trips through the ready queue");
    CHECK_THAT(calls == (std::vector<std::string>{"kept 1", "kept 2"}),
               future_says(kind, "a removed callback is not called; the others are, in order"));
  }
}

LOOPCERT_CASE("futures.remove_done_callback.same_callable_twice", clauses("FUT-REMOVE-DONE-CALLBACK")) {
  // One callable registered twice is two registrations: removing one
  // leaves the other.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    int calls = 0;
    auto count = [&calls](Future<int>) { ++calls; };
    CallbackId first = future.add_done_callback(count);
    future.add_done_callback(count);
    CHECK_EQUAL(future.remove_done_callback(first), std::size_t{1},
                future_says(kind, "removing one of two registrations returns 1"));
    future.cancel();
    conformance::stop_when(*loop, [&] { return calls > 0; });
    ctx.run_forever(*loop, "the remaining registration");
    library_support::run_rounds(ctx, *loop, 2, "two more trips through the ready queue");
    CHECK_EQUAL(calls, 1, future_says(kind, "the other registration is still called, once"));
  }
}

LOOPCERT_CASE("futures.remove_done_callback.unknown_returns_zero", clauses("FUT-REMOVE-DONE-CALLBACK")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    Future<int> other = new_future<int>(kind, *loop);
    CallbackId elsewhere = other.add_done_callback([](Future<int>) {});
    CHECK_EQUAL(future.remove_done_callback(elsewhere), std::size_t{0},
                future_says(kind, "remove_done_callback() of a callback never added here returns 0"));
    CHECK_EQUAL(other.remove_done_callback(elsewhere), std::size_t{1},
                future_says(kind, "and leaves the Future it was added to alone"));
  }
}
