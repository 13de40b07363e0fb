// Starting, stopping and closing (PEP 3156, "Starting, Stopping and
// Closing"). Every clause here is required-except-embedded: an embedded
// loop is exempt from these cases.
#include <stdexcept>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

LOOPCERT_CASE("lifecycle.stop.returns_normally", clauses("LOOP-STOP-RETURNS-NORMALLY")) {
  auto loop = ctx.new_loop();
  bool continued = false;
  loop->call_soon([&] {
    loop->stop();
    continued = true;
  });
  ctx.run_forever(*loop, "a callback calling stop()");
  CHECK_THAT(continued, "stop() returns normally and the callback that called it continues");
}

LOOPCERT_CASE("lifecycle.run_forever.until_stop", clauses("LOOP-RUNFOREVER-UNTIL-STOP")) {
  // A callback that schedules itself again every time it runs: the loop
  // always has something ready, so only stop() can end run_forever().
  auto loop = ctx.new_loop();
  int spins = 0;
  loop->call_soon(conformance::Spinner{loop.get(), &spins, 100});
  ctx.run_forever(*loop, "run_forever() to return after stop() while a callback keeps rescheduling itself");
  CHECK_THAT(spins >= 100, "run_forever() keeps running callbacks until stop() is called");
}

LOOPCERT_CASE("lifecycle.stop.no_callback_lost",
              clauses("LOOP-STOP-RESTARTABLE", "LOOP-STOP-READYQ-FREEDOM")) {
  // How much of the ready queue still runs after stop() is the loop's
  // choice (any prefix); what did not run must run in the next run, once.
  auto loop = ctx.new_loop();
  std::vector<int> ran;
  loop->call_soon([&] {
    ran.push_back(0);
    loop->stop();
  });
  for (int i = 1; i <= 5; ++i) loop->call_soon([&ran, i] { ran.push_back(i); });
  ctx.run_forever(*loop, "run_forever() to return after stop()");
  std::size_t first_run = ran.size();
  CHECK_THAT(first_run >= 1, "the callback that called stop() ran");
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "a second run_forever() to run what the first left");
  CHECK_THAT(ran == (std::vector<int>{0, 1, 2, 3, 4, 5}),
             "callbacks scheduled before stop() run in a later run, none lost and none twice");
}

LOOPCERT_CASE("lifecycle.is_running.states", clauses("LOOP-ISRUNNING", "LOOP-STATES")) {
  auto loop = ctx.new_loop();
  CHECK_THAT(!loop->is_running(), "a new loop is not running");
  bool running_inside = false;
  loop->call_soon([&] {
    running_inside = loop->is_running();
    loop->stop();
  });
  ctx.run_forever(*loop, "a callback asking is_running()");
  CHECK_THAT(running_inside, "is_running() is true inside a callback run by run_forever()");
  CHECK_THAT(!loop->is_running(), "is_running() is false after run_forever() returned");
}

LOOPCERT_CASE("lifecycle.run_forever.not_reentrant", clauses("LOOP-RUNFOREVER-NOT-REENTRANT")) {
  // The PEP leaves the error's kind open: any std::exception, after which
  // the running loop goes on (decision D-LIFE-1).
  auto loop = ctx.new_loop();
  bool asked = false;
  loop->call_soon([&] {
    asked = true;
    ctx.expect_throw<std::exception>([&] { loop->run_forever(); }, "run_forever() inside a running loop");
    loop->stop();
  });
  ctx.run_forever(*loop, "a callback calling run_forever() again");
  CHECK_THAT(asked, "the callback ran");
}

LOOPCERT_CASE("lifecycle.run_until_complete.result",
              clauses("LOOP-RUC-RESULT", "LOOP-RUC-WRAPS-COROUTINE", "TIER-ACCEPT-CORO-AND-FUTURE")) {
  auto loop = ctx.new_loop();
  Future<int> value = loop->create_future<int>();
  loop->call_soon([value] { value.set_result(42); });
  CHECK_EQUAL(ctx.run_until_complete(*loop, value, "a Future resolved by a callback"), 42,
              "run_until_complete() returns the Future's result");

  Future<int> failure = loop->create_future<int>();
  loop->call_soon([failure] { failure.set_exception(std::invalid_argument("from the Future")); });
  ctx.expect_throw<std::invalid_argument>(
      [&] { ctx.run_until_complete(*loop, failure, "a Future failed by a callback"); },
      "run_until_complete() on a Future that fails");

  auto coroutine = []() -> Coroutine<int> {
    co_await yield_now();
    co_return 7;
  };
  conformance::Watch guard = ctx.watch("run_until_complete() of a coroutine");
  CHECK_EQUAL(loop->run_until_complete(coroutine()), 7,
              "run_until_complete() accepts a coroutine and returns its value");
}

LOOPCERT_CASE("lifecycle.close.idempotent", clauses("LOOP-CLOSE-IDEMPOTENT", "LOOP-ISCLOSED")) {
  auto loop = ctx.new_loop();
  CHECK_THAT(!loop->is_closed(), "is_closed() is false before close()");
  loop->close();
  CHECK_THAT(loop->is_closed(), "is_closed() is true after close()");
  bool second_ok = true;
  try {
    loop->close();
  } catch (...) {
    second_ok = false;
  }
  CHECK_THAT(second_ok, "a second close() does nothing and does not fail");
  CHECK_THAT(loop->is_closed(), "is_closed() stays true");
}
