// AbstractEventLoop's default implementations: run_until_complete,
// call_later, call_repeatedly, the exception handler and debug mode
// (clauses LOOP-RUC-*, LOOP-ERR-*, LOOP-DEBUG-*, the seed draft's
// call_repeatedly).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_loop.hpp"
#include "test_support.hpp"

using namespace pep3156;
using pep3156::testing::DestroyFlag;
using pep3156::testing::TestLoop;

TEST_CASE("run_until_complete returns the Future's result") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  loop->call_soon([f] { f.set_result(8); });
  CHECK(loop->run_until_complete(f) == 8);
  CHECK_FALSE(loop->is_running());
}

TEST_CASE("run_until_complete rethrows the Future's exception") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  loop->call_soon([f] { f.set_exception(std::runtime_error("failed")); });
  CHECK_THROWS_WITH_AS(loop->run_until_complete(f), "failed", std::runtime_error);
}

TEST_CASE("run_until_complete of a done Future still returns") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  f.set_result(1);
  CHECK(loop->run_until_complete(f) == 1);
}

TEST_CASE("TIER-ACCEPT-CORO-AND-FUTURE: run_until_complete wraps a coroutine in a Task") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<bool> {
    co_return dynamic_cast<StandardTask*>(current_task(&co_await this_loop()).get()) != nullptr;
  };
  CHECK(loop->run_until_complete(coroutine()));
}

TEST_CASE("run_until_complete on a closed loop raises RuntimeError, and runs nothing") {
  auto loop = TestLoop::create();
  loop->close();
  Future<int> f(*loop);
  CHECK_THROWS_AS(loop->run_until_complete(f), RuntimeError);
  auto coroutine = []() -> Coroutine<int> { co_return 1; };
  CHECK_THROWS_AS(loop->run_until_complete(coroutine()), RuntimeError);
}

TEST_CASE("run_until_complete inside a running loop raises RuntimeError, and schedules nothing") {
  auto loop = TestLoop::create();
  bool started = false;
  auto coroutine = [](bool& started) -> Coroutine<int> {
    started = true;
    co_return 1;
  };
  Future<int> other(loop->create_future());
  bool raised_for_future = false, raised_for_coroutine = false;
  loop->call_soon([&] {
    try {
      loop->run_until_complete(other);
    } catch (const RuntimeError&) {
      raised_for_future = true;
    }
    try {
      loop->run_until_complete(coroutine(started));
    } catch (const RuntimeError&) {
      raised_for_coroutine = true;
    }
  });
  loop->run_ready();
  CHECK(raised_for_future);
  CHECK(raised_for_coroutine);
  CHECK_FALSE(started);  // the coroutine was not wrapped in a Task behind the caller's back
  CHECK(all_tasks(loop.get()).empty());
}

TEST_CASE("LOOP-RUC-STOPPED: the loop stopped before the Future is done: RuntimeError (decision D-LIFE-3)") {
  auto loop = TestLoop::create();
  Future<int> never(loop->create_future());
  loop->call_soon([&] { loop->stop(); });
  CHECK_THROWS_AS(loop->run_until_complete(never), RuntimeError);
  // The done-callback run_until_complete added is gone: completing the
  // Future later does not stop an unrelated run.
  never.set_result(1);
  Future<int> next(loop->create_future());
  loop->call_later(1, [next] { next.set_result(2); });
  CHECK(loop->run_until_complete(next) == 2);
}

TEST_CASE(
    "LOOP-ERR-BASEEXCEPTION: a coroutine's BaseException leaves run_until_complete; no stale stop() stays") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  auto interrupted = []() -> Coroutine<int> {
    co_await yield_now();
    throw KeyboardInterrupt();
    co_return 0;
  };
  // The Task's done-callback (run_until_complete's stopper) is scheduled,
  // then the BaseException leaves run_forever() before it ran.
  CHECK_THROWS_AS(loop->run_until_complete(interrupted()), KeyboardInterrupt);
  CHECK_FALSE(loop->is_running());
  auto later = []() -> Coroutine<int> {
    co_await sleep(1.0);
    co_await yield_now();
    co_return 5;
  };
  CHECK(loop->run_until_complete(later()) == 5);
  CHECK(reports->empty());  // the caller received it: not "never retrieved"
}

TEST_CASE("LOOP-CALL-LATER: the default call_later is call_at(time() + delay)") {
  auto loop = TestLoop::create();
  TimerHandle timer = loop->call_later(2.5, [] {});
  CHECK(timer.when() == loop->time() + 2.5);
  CHECK_FALSE(timer.cancelled());
  timer.cancel();
  CHECK(timer.cancelled());
}

// --- call_repeatedly (seed draft) -------------------------------------------

TEST_CASE("call_repeatedly calls the callback every interval until cancelled") {
  auto loop = TestLoop::create();
  double start = loop->time();
  std::vector<double> calls;
  TimerHandle repeating = loop->call_repeatedly(2, [&] { calls.push_back(loop->time() - start); });
  CHECK(repeating.when() == start + 2);
  loop->call_later(7, [&] { repeating.cancel(); });
  loop->call_later(20, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(calls == std::vector<double>{2, 4, 6});
  CHECK(repeating.cancelled());
}

TEST_CASE("call_repeatedly keeps going when the caller drops the handle") {
  auto loop = TestLoop::create();
  int calls = 0;
  loop->call_repeatedly(1, [&] { ++calls; });
  loop->call_later(3.5, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(calls == 3);
}

TEST_CASE("call_repeatedly: the callback may cancel its own handle") {
  auto loop = TestLoop::create();
  int calls = 0;
  TimerHandle repeating;
  auto destroyed = std::make_shared<bool>(false);
  repeating = loop->call_repeatedly(1, [&, flag = DestroyFlag(destroyed)] {
    if (++calls == 2) repeating.cancel();
    CHECK_FALSE(*destroyed);  // the running callback survives its own cancel()
  });
  loop->call_later(10, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(calls == 2);
}

TEST_CASE("call_repeatedly: an exception stops the repetition and reaches the exception handler") {
  auto loop = TestLoop::create();
  int calls = 0;
  loop->call_repeatedly(1, [&] {
    if (++calls == 2) throw std::runtime_error("repeating failed");
  });
  loop->call_later(10, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(calls == 2);
  REQUIRE(loop->errors.size() == 1);
  CHECK(describe(loop->errors[0]).find("repeating failed") != std::string::npos);
}

TEST_CASE("call_repeatedly: an interval <= 0 raises ValueError") {
  auto loop = TestLoop::create();
  CHECK_THROWS_AS(loop->call_repeatedly(0, [] {}), ValueError);
  CHECK_THROWS_AS(loop->call_repeatedly(-1, [] {}), ValueError);
  CHECK_THROWS_AS(loop->call_repeatedly(std::nan(""), [] {}), ValueError);
}

TEST_CASE("call_repeatedly: a late call delays the later ones by as much") {
  auto loop = TestLoop::create();
  double start = loop->time();
  std::vector<double> calls;
  loop->call_repeatedly(2, [&] { calls.push_back(loop->time() - start); });
  loop->call_later(1.5, [&] { loop->advance(1); });  // a slow callback: the call at 2 starts at 2.5
  loop->call_later(8, [&] { loop->stop(); });
  loop->run_forever();
  // The seed draft: "If for whatever reason the callback happens later than
  // scheduled, subsequent callbacks will be delayed for (at least) the same
  // amount."
  REQUIRE(calls.size() == 3);
  CHECK(calls[0] == doctest::Approx(2.5));
  CHECK(calls[1] == doctest::Approx(4.5));
  CHECK(calls[2] == doctest::Approx(6.5));
}

TEST_CASE("call_repeatedly outliving its loop leaks nothing") {
  auto loop = TestLoop::create();
  TimerHandle kept = loop->call_repeatedly(1, [] {});
  loop->call_later(2.5, [&] { loop->stop(); });
  loop->run_forever();
  loop.reset();
  // LeakSanitizer: the repetition's state is gone with the loop's timer.
}

// --- Handles ------------------------------------------------------------------

TEST_CASE("HANDLE-CANCEL: a Handle cancelled from inside its own callback keeps the callback alive") {
  auto loop = TestLoop::create();
  Handle self;
  auto destroyed = std::make_shared<bool>(false);
  bool finished = false;
  self = loop->call_soon([&, flag = DestroyFlag(destroyed)] {
    self.cancel();
    CHECK_FALSE(*destroyed);  // the capture outlives cancel()
    finished = true;
  });
  loop->run_ready();
  CHECK(finished);
  CHECK(self.cancelled());
  CHECK(*destroyed);  // released once the callback returned
}

TEST_CASE("HANDLE-CANCEL: a cancelled Handle releases its callback at once") {
  auto loop = TestLoop::create();
  auto captured = std::make_shared<int>(1);
  Handle handle = loop->call_soon([captured] {});
  CHECK(captured.use_count() == 2);
  handle.cancel();
  CHECK(captured.use_count() == 1);
  handle.cancel();    // idempotent
  Handle().cancel();  // an empty Handle: nothing
  CHECK_FALSE(Handle().cancelled());
}

// --- Exception handler ----------------------------------------------------------

TEST_CASE("LOOP-ERR-DEFAULT-USED LOOP-ERR-GET-SET: no handler until one is set; null restores the default") {
  auto loop = TestLoop::create();
  CHECK_FALSE(loop->get_exception_handler());  // decision D-ERR-2
  std::vector<std::string> seen;
  loop->set_exception_handler([&](AbstractEventLoop& l, const ExceptionContext& context) {
    CHECK(&l == loop.get());
    seen.push_back(context.message);
  });
  CHECK(loop->get_exception_handler());
  ExceptionContext context;
  context.message = "reported";
  loop->call_exception_handler(context);  // LOOP-ERR-CALL
  CHECK(seen == std::vector<std::string>{"reported"});
  loop->set_exception_handler(nullptr);
  CHECK_FALSE(loop->get_exception_handler());
  loop->call_exception_handler(context);  // to stderr, through default_exception_handler
  CHECK(seen.size() == 1);
}

TEST_CASE("LOOP-ERR-CALLBACK-EXC-LOGGED: a callback's exception reaches the handler; the loop goes on") {
  auto loop = TestLoop::create();
  std::vector<std::string> seen;
  loop->set_exception_handler(
      [&](AbstractEventLoop&, const ExceptionContext& context) { seen.push_back(describe(context)); });
  bool later_ran = false;
  loop->call_soon([] { throw std::runtime_error("callback failed"); });
  loop->call_soon([&] { later_ran = true; });
  loop->run_ready();
  CHECK(later_ran);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].find("callback failed") != std::string::npos);
}

TEST_CASE("LOOP-ERR-CALL: a handler that throws is reported by the default handler and the loop goes on") {
  auto loop = TestLoop::create();
  int handler_calls = 0;
  loop->set_exception_handler([&](AbstractEventLoop&, const ExceptionContext&) {
    ++handler_calls;
    throw std::runtime_error("handler failed");
  });
  bool later_ran = false;
  loop->call_soon([] { throw std::runtime_error("callback failed"); });
  loop->call_soon([&] { later_ran = true; });
  loop->run_ready();
  CHECK(handler_calls == 1);
  CHECK(later_ran);
}

TEST_CASE("LOOP-ERR-CONTEXT-KEYS: describe() names the message, the exception and the extra keys") {
  ExceptionContext context;
  context.message = "something broke";
  context.exception = std::make_exception_ptr(std::runtime_error("why"));
  context.extra["key"] = "value";
  CHECK(describe(context) == "something broke: why; key=value");
  context.exception = std::make_exception_ptr(SystemExit(3));
  CHECK(describe(context) == "something broke: SystemExit; key=value");
  CHECK(describe(ExceptionContext{}) == "unhandled exception");
}

// --- Debug mode -------------------------------------------------------------------

TEST_CASE("LOOP-DEBUG-GET-SET LOOP-DEBUG-SLOW-CALLBACK") {
  auto loop = TestLoop::create();
  loop->set_debug(true);
  CHECK(loop->get_debug());
  loop->set_debug(false);
  CHECK_FALSE(loop->get_debug());
  CHECK(loop->slow_callback_duration == 0.1);
}

TEST_CASE("TIER-OPTIONAL-NIE: the optional categories raise NotImplementedError by default") {
  auto loop = TestLoop::create();
  CHECK_THROWS_AS(loop->add_reader(0, [] {}), NotImplementedError);
  CHECK_THROWS_AS(loop->remove_reader(0), NotImplementedError);
  CHECK_THROWS_AS(loop->add_writer(0, [] {}), NotImplementedError);
  CHECK_THROWS_AS(loop->remove_writer(0), NotImplementedError);
  CHECK_THROWS_AS(loop->add_signal_handler(2, [] {}), NotImplementedError);
  CHECK_THROWS_AS(loop->remove_signal_handler(2), NotImplementedError);
  CHECK_THROWS_AS(loop->subprocess_exec(nullptr, {"true"}), NotImplementedError);
}

TEST_CASE("a loop destroyed with callbacks, timers and Tasks pending releases them all safely") {
  auto reports = std::make_shared<std::vector<std::string>>();
  auto destroyed = std::make_shared<bool>(false);
  {
    auto loop = TestLoop::create();
    reports = record_handler_calls(*loop);
    Future<int> failed(loop->create_future());
    failed.set_exception(std::runtime_error("never retrieved"));
    failed.add_done_callback([](Future<int>) {});  // scheduled, never run
    loop->call_later(10, [failed] {});             // a pending timer holds it too
    failed = Future<int>();
    auto sleeper = [](DestroyFlag) -> Coroutine<void> { co_await sleep(100.0); };
    loop->create_task(sleeper(DestroyFlag(destroyed)));
    loop->call_repeatedly(1, [] {});
    loop->run_ready();
  }
  CHECK(*destroyed);
  CHECK(reports->empty());  // no report into a loop being destroyed
}
