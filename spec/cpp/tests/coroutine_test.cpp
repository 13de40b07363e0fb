// Coroutine<T>: lazy start, awaiting coroutines and Futures (clauses CORO-*).
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_loop.hpp"

using namespace pep3156;
using pep3156::testing::TestLoop;

namespace {
Coroutine<int> add_one(int x, std::vector<std::string>& trace) {
  trace.push_back("add_one");
  co_return x + 1;
}

Coroutine<int> fail(std::vector<std::string>& trace) {
  trace.push_back("fail");
  throw std::runtime_error("failed inside");
  co_return 0;
}

Coroutine<void> nothing() { co_return; }
}  // namespace

TEST_CASE("CORO-LAZY-START: calling a coroutine function runs none of its body") {
  std::vector<std::string> trace;
  {
    auto coroutine = add_one(1, trace);
    CHECK(trace.empty());
  }  // destroyed unstarted: nothing ran, nothing leaked
  CHECK(trace.empty());
}

TEST_CASE("CORO-ONLY-WHEN-LOOP-RUNS LOOP-CREATE-TASK: a wrapped coroutine starts only when the loop runs") {
  auto loop = TestLoop::create();
  std::vector<std::string> trace;
  Task<int> task = loop->create_task(add_one(1, trace));
  CHECK(trace.empty());
  CHECK_FALSE(task.done());
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"add_one"});
  CHECK(task.result() == 2);
}

TEST_CASE("CORO-AWAIT-COROUTINE: awaiting a coroutine runs it inline and returns its result") {
  auto loop = TestLoop::create();
  std::vector<std::string> trace;
  auto outer = [](std::vector<std::string>& trace) -> Coroutine<int> {
    trace.push_back("outer before");
    int result = co_await add_one(41, trace);
    trace.push_back("outer after");
    co_return result;
  };
  Task<int> task = loop->create_task(outer(trace));
  CHECK(loop->ready_count() == 1);
  loop->call_soon([&] { trace.push_back("next callback"); });
  loop->run_ready();
  // One Task step: the inner coroutine ran inside it, not in a callback of its own.
  CHECK(trace == std::vector<std::string>{"outer before", "add_one", "outer after", "next callback"});
  CHECK(task.result() == 42);
}

TEST_CASE("CORO-AWAIT-COROUTINE: an exception in an awaited coroutine propagates to the awaiter") {
  auto loop = TestLoop::create();
  std::vector<std::string> trace;
  auto outer = [](std::vector<std::string>& trace) -> Coroutine<std::string> {
    try {
      co_await fail(trace);
    } catch (const std::runtime_error& e) {
      co_return std::string("caught: ") + e.what();
    }
    co_return "not caught";
  };
  CHECK(loop->run_until_complete(outer(trace)) == "caught: failed inside");
  CHECK(trace == std::vector<std::string>{"fail"});
}

TEST_CASE("CORO-AWAIT-COROUTINE: Coroutine<void> and deep chains") {
  auto loop = TestLoop::create();
  struct Chain {
    static Coroutine<int> depth(int n) {
      if (n == 0) co_return 0;
      co_await nothing();
      co_return 1 + co_await depth(n - 1);
    }
  };
  CHECK(loop->run_until_complete(Chain::depth(200)) == 200);
}

TEST_CASE("CORO-AWAIT-FUTURE FUT-AWAITABLE: awaiting a pending Future suspends until it is done") {
  auto loop = TestLoop::create();
  Future<int> future(loop->create_future());
  std::vector<std::string> trace;
  auto waiter = [](Future<int> f, std::vector<std::string>& trace) -> Coroutine<int> {
    trace.push_back("waiting");
    int value = co_await f;
    trace.push_back("resumed");
    co_return value * 2;
  };
  Task<int> task = loop->create_task(waiter(future, trace));
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"waiting"});
  CHECK_FALSE(task.done());
  future.set_result(21);
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"waiting", "resumed"});
  CHECK(task.result() == 42);
}

TEST_CASE("CORO-AWAIT-FUTURE: awaiting a failed or cancelled Future raises in the coroutine") {
  auto loop = TestLoop::create();
  Future<int> future(loop->create_future());
  auto waiter = [](Future<int> f) -> Coroutine<std::string> {
    try {
      co_await f;
    } catch (const CancelledError&) {
      co_return "cancelled";
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  Task<std::string> task = loop->create_task(waiter(future));
  loop->run_ready();
  SUBCASE("exception") {
    future.set_exception(std::runtime_error("bad"));
    CHECK(loop->run_until_complete(task) == "bad");
  }
  SUBCASE("cancelled") {
    future.cancel();
    CHECK(loop->run_until_complete(task) == "cancelled");
  }
}

TEST_CASE("CORO-AWAIT-FUTURE: awaiting a done Future does not suspend") {
  auto loop = TestLoop::create();
  Future<int> done(loop->create_future());
  done.set_result(5);
  std::vector<std::string> trace;
  auto coroutine = [](Future<int> f, std::vector<std::string>& trace) -> Coroutine<void> {
    trace.push_back("before");
    int value = co_await f;
    trace.push_back("after " + std::to_string(value));
  };
  loop->create_task(coroutine(done, trace));
  loop->call_soon([&] { trace.push_back("next callback"); });
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"before", "after 5", "next callback"});
}

TEST_CASE("yield_now lets every other ready callback run once") {
  auto loop = TestLoop::create();
  std::vector<std::string> trace;
  auto coroutine = [](std::vector<std::string>& trace) -> Coroutine<void> {
    trace.push_back("before");
    co_await yield_now();
    trace.push_back("after");
  };
  loop->create_task(coroutine(trace));
  loop->call_soon([&] { trace.push_back("other"); });
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"before", "other", "after"});
}

TEST_CASE("POLICY-LOOP-KWARG: this_loop() is the loop running the Task") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<AbstractEventLoop*> {
    AbstractEventLoop& mine = co_await this_loop();
    co_return &mine;
  };
  CHECK(loop->run_until_complete(coroutine()) == loop.get());
}

TEST_CASE("a coroutine may return a move-only value") {
  auto loop = TestLoop::create();
  auto make = []() -> Coroutine<std::unique_ptr<int>> { co_return std::make_unique<int>(9); };
  auto outer = [make]() -> Coroutine<std::unique_ptr<int>> {
    auto inner = co_await make();
    *inner += 1;
    co_return inner;
  };
  auto result = loop->run_until_complete(outer());
  REQUIRE(result != nullptr);
  CHECK(*result == 10);
}
