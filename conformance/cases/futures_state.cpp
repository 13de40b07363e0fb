// The Future's state machine (PEP 3156, "Futures"): pending, then done with
// a result, an exception, or cancelled, never changing again; result() and
// exception() never wait. Each case checks the standard Future and the
// loop's own (library_support.hpp).
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::future_says;
using library_support::kBothKinds;
using library_support::new_future;

LOOPCERT_CASE("futures.state.pending_raises_invalid_state",
              clauses("FUT-RESULT-NO-WAIT", "FUT-INVALID-STATE", "FUT-DONE", "FUT-CANCELLED")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> future = new_future<int>(kind, *loop);
    CHECK_THAT(!future.done(), future_says(kind, "a new Future is not done"));
    CHECK_THAT(!future.cancelled(), future_says(kind, "a new Future is not cancelled"));
    ctx.expect_throw<InvalidStateError>([&] { future.result(); },
                                        future_says(kind, "result() on a pending Future"));
    ctx.expect_throw<InvalidStateError>([&] { future.exception(); },
                                        future_says(kind, "exception() on a pending Future"));
  }
}

LOOPCERT_CASE("futures.state.result_and_exception_never_wait",
              clauses("FUT-RESULT-NO-WAIT", "FUT-EXCEPTION")) {
  // The result is on its way (a callback will set it), and the loop is
  // there to run it: result() and exception() still raise at once instead
  // of running the loop to wait for it.
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> future = new_future<int>(kind, *loop);
    loop->call_soon([future] { future.set_result(1); });
    ctx.expect_throw<InvalidStateError>([&] { future.result(); },
                                        future_says(kind, "result() while a callback is about to set it"));
    ctx.expect_throw<InvalidStateError>([&] { future.exception(); },
                                        future_says(kind, "exception() while a callback is about to set it"));
    CHECK_THAT(!future.done(), future_says(kind, "result() and exception() did not run the loop to wait"));
  }
}

LOOPCERT_CASE("futures.set_result.done_with_result",
              clauses("FUT-SET-RESULT", "FUT-DONE", "FUT-RESULT", "FUT-EXCEPTION", "FUT-CANCELLED")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<std::string> future = new_future<std::string>(kind, *loop);
    future.set_result(std::string("forty-two"));
    CHECK_THAT(future.done(), future_says(kind, "set_result() makes the Future done"));
    CHECK_THAT(!future.cancelled(), future_says(kind, "a Future with a result is not cancelled"));
    CHECK_EQUAL(future.result(), std::string("forty-two"),
                future_says(kind, "result() returns the result set"));
    CHECK_THAT(future.exception() == nullptr, future_says(kind, "exception() is None when a result was set"));
  }
}

LOOPCERT_CASE("futures.set_result.falsy_result_has_no_exception", clauses("FUT-EXCEPTION", "FUT-RESULT")) {
  // A result that converts to false (0, void) is still a result:
  // exception() is None, not a missing exception mistaken for failure.
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> zero = new_future<int>(kind, *loop);
    zero.set_result(0);
    CHECK_THAT(zero.exception() == nullptr, future_says(kind, "exception() is None after set_result(0)"));
    CHECK_EQUAL(zero.result(), 0, future_says(kind, "result() returns 0"));
    Future<void> nothing = new_future<void>(kind, *loop);
    nothing.set_result();
    CHECK_THAT(nothing.done() && nothing.exception() == nullptr,
               future_says(kind, "a void Future with its result set is done, exception() None"));
    bool returned = false;
    try {
      nothing.result();
      returned = true;
    } catch (...) {
    }
    CHECK_THAT(returned, future_says(kind, "result() of a done void Future returns"));
  }
}

LOOPCERT_CASE("futures.set_exception.done_with_exception",
              clauses("FUT-SET-EXCEPTION", "FUT-DONE", "FUT-RESULT", "FUT-EXCEPTION", "FUT-CANCELLED",
                      "LOOP-ERR-FUTURE-PASSTHROUGH")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> future = new_future<int>(kind, *loop);
    future.set_exception(std::out_of_range("set by the case"));
    CHECK_THAT(future.done(), future_says(kind, "set_exception() makes the Future done"));
    CHECK_THAT(!future.cancelled(), future_says(kind, "a Future with an exception is not cancelled"));
    std::exception_ptr e = future.exception();
    CHECK_THAT(
        library_support::holds<std::out_of_range>(e) && library_support::what_of(e) == "set by the case",
        future_says(kind, "exception() returns the exception set"));
    ctx.expect_throw<std::out_of_range>([&] { future.result(); },
                                        future_says(kind, "result() raises the exception set"));
  }
}

LOOPCERT_CASE("futures.cancel.pending_returns_true_and_cancels",
              clauses("FUT-CANCEL-PENDING", "FUT-CANCEL-PLAIN-IMMEDIATE", "FUT-CANCELLED", "FUT-DONE")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> future = new_future<int>(kind, *loop);
    CHECK_THAT(future.cancel(), future_says(kind, "cancel() on a pending Future returns True"));
    // A plain Future's cancellation "will always succeed immediately":
    // no loop iteration in between.
    CHECK_THAT(future.cancelled(), future_says(kind, "cancelled() is True as soon as cancel() returns"));
    CHECK_THAT(future.done(), future_says(kind, "a cancelled Future is done"));
  }
}

LOOPCERT_CASE("futures.cancel.second_cancel_returns_false",
              clauses("FUT-CANCEL-DONE-RETURNS-FALSE", "FUT-CANCELLED")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> future = new_future<int>(kind, *loop);
    future.cancel();
    CHECK_THAT(!future.cancel(), future_says(kind, "cancel() on a cancelled Future returns False"));
    CHECK_THAT(future.cancelled(), future_says(kind, "the Future stays cancelled"));
  }
}

LOOPCERT_CASE("futures.cancel.done_returns_false_and_changes_nothing",
              clauses("FUT-CANCEL-DONE-RETURNS-FALSE", "FUT-CANCELLED")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> with_result = new_future<int>(kind, *loop);
    with_result.set_result(3);
    CHECK_THAT(!with_result.cancel(), future_says(kind, "cancel() on a Future with a result returns False"));
    CHECK_THAT(!with_result.cancelled() && with_result.result() == 3,
               future_says(kind, "cancel() on a done Future leaves it as it was"));

    Future<int> with_exception = new_future<int>(kind, *loop);
    with_exception.set_exception(std::runtime_error("kept"));
    CHECK_THAT(!with_exception.cancel(),
               future_says(kind, "cancel() on a Future with an exception returns False"));
    CHECK_THAT(!with_exception.cancelled() && library_support::what_of(with_exception.exception()) == "kept",
               future_says(kind, "cancel() leaves the exception in place"));
  }
}

LOOPCERT_CASE("futures.cancelled.result_and_exception_raise_cancelled_error",
              clauses("FUT-CANCELLED-ERROR", "FUT-RESULT", "FUT-EXCEPTION")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    Future<int> future = new_future<int>(kind, *loop);
    future.cancel();
    ctx.expect_throw<CancelledError>([&] { future.result(); },
                                     future_says(kind, "result() on a cancelled Future"));
    ctx.expect_throw<CancelledError>([&] { future.exception(); },
                                     future_says(kind, "exception() on a cancelled Future"));
  }
}

namespace {
/// The three ways a Future becomes done.
enum class Outcome { result, exception, cancelled };
constexpr Outcome kOutcomes[] = {Outcome::result, Outcome::exception, Outcome::cancelled};
const char* name(Outcome outcome) {
  switch (outcome) {
    case Outcome::result:
      return "with a result";
    case Outcome::exception:
      return "with an exception";
    case Outcome::cancelled:
      return "cancelled";
  }
  return "";
}

Future<int> done_future(library_support::Kind kind, AbstractEventLoop& loop, Outcome outcome) {
  Future<int> future = new_future<int>(kind, loop);
  switch (outcome) {
    case Outcome::result:
      future.set_result(1);
      break;
    case Outcome::exception:
      future.set_exception(std::runtime_error("first"));
      break;
    case Outcome::cancelled:
      future.cancel();
      break;
  }
  return future;
}

/// Whether `future` still holds what done_future() gave it.
bool unchanged(const Future<int>& future, Outcome outcome) {
  switch (outcome) {
    case Outcome::result:
      return !future.cancelled() && future.result() == 1;
    case Outcome::exception:
      return !future.cancelled() && library_support::what_of(future.exception()) == "first";
    case Outcome::cancelled:
      return future.cancelled();
  }
  return false;
}
}  // namespace

LOOPCERT_CASE("futures.set_result.on_done_raises_invalid_state",
              clauses("FUT-SET-RESULT", "FUT-INVALID-STATE")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    for (auto outcome : kOutcomes) {
      Future<int> future = done_future(kind, *loop, outcome);
      ctx.expect_throw<InvalidStateError>(
          [&] { future.set_result(2); },
          future_says(kind, conformance::str("set_result() on a Future ", name(outcome))));
      CHECK_THAT(
          unchanged(future, outcome),
          future_says(kind, conformance::str("a Future done ", name(outcome), " never changes again")));
    }
  }
}

LOOPCERT_CASE("futures.set_exception.on_done_raises_invalid_state",
              clauses("FUT-SET-EXCEPTION", "FUT-INVALID-STATE")) {
  auto loop = ctx.new_loop();
  for (auto kind : kBothKinds) {
    for (auto outcome : kOutcomes) {
      Future<int> future = done_future(kind, *loop, outcome);
      ctx.expect_throw<InvalidStateError>(
          [&] { future.set_exception(std::runtime_error("second")); },
          future_says(kind, conformance::str("set_exception() on a Future ", name(outcome))));
      CHECK_THAT(
          unchanged(future, outcome),
          future_says(kind, conformance::str("a Future done ", name(outcome), " never changes again")));
    }
  }
}

namespace {
// What the PEP leaves out of its Future, as compile-time facts.
template <class F>
constexpr bool kHasRunning = requires(F& f) {
  f.running();
};
template <class F>
constexpr bool kHasSetRunning = requires(F& f) {
  f.set_running_or_notify_cancel();
};
template <class F>
constexpr bool kResultTakesTimeout = requires(F& f) {
  f.result(1.0);
};
template <class F>
constexpr bool kExceptionTakesTimeout = requires(F& f) {
  f.exception(1.0);
};
}  // namespace

LOOPCERT_CASE("futures.state.no_running_state", clauses("FUT-NO-RUNNING-STATE")) {
  // PEP 3156: "there is no way to set the running state", and running()
  // is not supported. So a Future whose work is under way elsewhere (here:
  // run_in_executor() while its function runs) is still simply pending,
  // and cancel() succeeds (a PEP 3148 Future would refuse: it is running).
  static_assert(!kHasRunning<FutureBase> && !kHasRunning<Future<int>>, "the Future has no running()");
  static_assert(!kHasSetRunning<FutureBase> && !kHasSetRunning<Future<int>>,
                "the Future has no set_running_or_notify_cancel()");
  auto loop = ctx.new_loop();
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Future<int> future = loop->run_in_executor(nullptr, [&started, released] {
    started.set_value();
    released.wait();
    return 5;
  });
  std::future<void> running = started.get_future();
  if (running.wait_for(std::chrono::duration<double>(ctx.watchdog_seconds())) != std::future_status::ready) {
    release.set_value();
    ctx.unresolved("the executor never started the function");
  }
  CHECK_THAT(!future.done(), "a Future whose work is running is pending: there is no running state");
  CHECK_THAT(future.cancel(), "cancel() on a Future whose work is running returns True");
  CHECK_THAT(future.cancelled(), "and the Future is cancelled");
  release.set_value();
}

LOOPCERT_CASE("futures.errors.invalid_timeout_error_exists", clauses("FUT-INVALID-TIMEOUT")) {
  // Vestigial (decision D-FUT-2): the name exists, and result() and
  // exception() take no timeout to give it a reason to be raised.
  static_assert(std::is_base_of_v<Error, InvalidTimeoutError>,
                "InvalidTimeoutError is one of the PEP's errors");
  static_assert(!kResultTakesTimeout<Future<int>>, "result() takes no timeout");
  static_assert(!kExceptionTakesTimeout<Future<int>>, "exception() takes no timeout");
  InvalidTimeoutError error("timeout");
  CHECK_THAT(std::string(error.what()) == "timeout", "InvalidTimeoutError carries its message");
}

LOOPCERT_CASE("futures.errors.run_until_complete_stopped_early", clauses("FUT-TIMEOUT-ERROR").tolerance()) {
  // TimeoutError "May be raised by run_until_complete()" (a leftover of the
  // draft's timeout): when stop() ends the run before the Future is done,
  // the kit accepts TimeoutError or RuntimeError (decision D-LIFE-3), and
  // the Future is left as it was.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> future = new_future<int>(kind, *loop);
    loop->call_soon([&] { loop->stop(); });
    std::string raised = "nothing";
    try {
      ctx.run_until_complete(*loop, future, "run_until_complete() of a Future that stop() interrupts");
    } catch (const TimeoutError&) {
      raised = "TimeoutError";
    } catch (const RuntimeError&) {
      raised = "RuntimeError";
    } catch (const std::exception& e) {
      raised = e.what();
    }
    CHECK_THAT(
        raised == "TimeoutError" || raised == "RuntimeError",
        future_says(kind, "run_until_complete() stopped early raises TimeoutError or RuntimeError (got " +
                              raised + ")"));
    CHECK_THAT(!future.done(), future_says(kind, "and leaves the Future pending"));
  }
}
