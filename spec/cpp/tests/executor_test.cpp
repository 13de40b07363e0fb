// run_in_executor, set_default_executor, wrap_future and ThreadPoolExecutor
// (clauses LOOP-EXECUTOR-*, LOOP-SET-DEFAULT-EXECUTOR, FUT-WRAP-FUTURE).
// Run under ThreadSanitizer too: the worker threads meet the loop only
// through call_soon_threadsafe().
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_loop.hpp"

using namespace pep3156;
using pep3156::testing::TestLoop;

namespace {
/// An Executor that counts submissions and runs each on a thread of its own.
class CountingExecutor final : public Executor {
 public:
  void submit(UniqueFunction<void()> work) override {
    ++submitted;
    pool_.submit(std::move(work));
  }
  void shutdown(bool wait) override { pool_.shutdown(wait); }
  std::atomic<int> submitted = 0;

 private:
  ThreadPoolExecutor pool_{1};
};

/// An Executor that runs each call at once, on the caller's thread, and
/// keeps the spent call until release(): a PEP 3148 executor may drop its
/// work items whenever and wherever it likes.
class KeepingExecutor final : public Executor {
 public:
  void submit(UniqueFunction<void()> work) override {
    work();
    spent_.push_back(std::move(work));
  }
  void shutdown(bool) override {}
  void release() { spent_.clear(); }

 private:
  std::vector<UniqueFunction<void()>> spent_;
};
}  // namespace

TEST_CASE("LOOP-EXECUTOR-RESULT: run_in_executor returns a Future with the call's result") {
  auto loop = TestLoop::create();
  auto loop_thread = std::this_thread::get_id();
  Future<std::thread::id> where = loop->run_in_executor(nullptr, [] { return std::this_thread::get_id(); });
  CHECK(loop->run_until_complete(where) != loop_thread);
  Future<int> sum = loop->run_in_executor(
      nullptr, [](int a, int b) { return a + b; }, 2, 3);
  CHECK(loop->run_until_complete(sum) == 5);
  Future<void> nothing = loop->run_in_executor(nullptr, [] {});
  CHECK_NOTHROW(loop->run_until_complete(nothing));
}

TEST_CASE("LOOP-EXECUTOR-RESULT: the call's exception is the Future's exception") {
  auto loop = TestLoop::create();
  Future<int> failing =
      loop->run_in_executor(nullptr, []() -> int { throw std::runtime_error("in a thread"); });
  CHECK_THROWS_WITH_AS(loop->run_until_complete(failing), "in a thread", std::runtime_error);
}

TEST_CASE("LOOP-EXECUTOR-RESULT: a move-only result") {
  auto loop = TestLoop::create();
  auto made = loop->run_in_executor(nullptr, [] { return std::make_unique<int>(11); });
  auto result = loop->run_until_complete(made);
  REQUIRE(result != nullptr);
  CHECK(*result == 11);
}

TEST_CASE("LOOP-EXECUTOR-DEFAULT: run_in_executor on a given Executor") {
  auto loop = TestLoop::create();
  auto executor = std::make_shared<CountingExecutor>();
  CHECK(loop->run_until_complete(loop->run_in_executor(executor, [] { return 1; })) == 1);
  CHECK(executor->submitted == 1);
  executor->shutdown(true);
}

TEST_CASE("LOOP-EXECUTOR-DEFAULT LOOP-SET-DEFAULT-EXECUTOR: null means the default executor, once set") {
  auto loop = TestLoop::create();
  auto executor = std::make_shared<CountingExecutor>();
  loop->set_default_executor(executor);
  CHECK(loop->run_until_complete(loop->run_in_executor(nullptr, [] { return 2; })) == 2);
  CHECK(executor->submitted == 1);
  loop->set_default_executor(nullptr);  // back to a lazily created ThreadPoolExecutor
  CHECK(loop->run_until_complete(loop->run_in_executor(nullptr, [] { return 3; })) == 3);
  CHECK(executor->submitted == 1);
  executor->shutdown(true);
}

TEST_CASE("run_in_executor on a closed loop raises RuntimeError") {
  auto loop = TestLoop::create();
  loop->close();
  CHECK_THROWS_AS(loop->run_in_executor(nullptr, [] { return 1; }), RuntimeError);
}

TEST_CASE("a Future cancelled before the call returns stays cancelled") {
  auto loop = TestLoop::create();
  std::promise<void> release;
  auto released = release.get_future().share();
  Future<int> pending = loop->run_in_executor(nullptr, [released] {
    released.wait();
    return 1;
  });
  CHECK(pending.cancel());
  release.set_value();
  // The outcome arrives through call_soon_threadsafe() and is dropped.
  Future<int> after = loop->run_in_executor(nullptr, [] { return 2; });
  CHECK(loop->run_until_complete(after) == 2);
  loop->close();  // waits for the worker threads
  CHECK(pending.cancelled());
}

TEST_CASE("a loop closed while a call runs drops its outcome without a crash") {
  auto loop = TestLoop::create();
  auto executor = std::make_shared<ThreadPoolExecutor>(1);
  std::promise<void> release;
  auto released = release.get_future().share();
  Future<int> pending = loop->run_in_executor(executor, [released] {
    released.wait();
    return 1;
  });
  loop->close();
  release.set_value();
  executor->shutdown(true);
  CHECK_FALSE(pending.done());
}

TEST_CASE("a loop destroyed while a call runs drops its outcome without a crash") {
  auto executor = std::make_shared<ThreadPoolExecutor>(1);
  std::promise<void> release;
  auto released = release.get_future().share();
  {
    auto loop = TestLoop::create();
    loop->run_in_executor(executor, [released] {
      released.wait();
      return 1;
    });
  }
  release.set_value();
  executor->shutdown(true);
}

TEST_CASE("a spent executor call keeps no reference to the Future: it dies on the loop's thread") {
  auto loop = TestLoop::create();
  auto executor = std::make_shared<KeepingExecutor>();
  std::vector<std::thread::id> reported_on;
  loop->set_exception_handler([&](AbstractEventLoop&, const ExceptionContext&) {
    reported_on.push_back(std::this_thread::get_id());
  });
  // The Future is dropped at once; its exception is never retrieved.
  loop->run_in_executor(executor, []() -> int { throw std::runtime_error("nobody asks"); });
  // The outcomes arrive in order: once the second is in, the first was delivered.
  CHECK(loop->run_until_complete(loop->run_in_executor(executor, [] { return 0; })) == 0);
  std::thread([&] { executor->release(); }).join();
  REQUIRE(reported_on.size() == 1);
  CHECK(reported_on[0] == std::this_thread::get_id());
}

TEST_CASE("FUT-WRAP-FUTURE: wrap_future with a std::future") {
  auto loop = TestLoop::create();
  std::promise<int> promise;
  Future<int> wrapped = wrap_future(promise.get_future(), loop.get());
  std::thread producer([&promise] { promise.set_value(17); });
  CHECK(loop->run_until_complete(wrapped) == 17);
  producer.join();
}

TEST_CASE("FUT-WRAP-FUTURE: wrap_future with a std::shared_future, and an exception") {
  auto loop = TestLoop::create();
  std::promise<std::string> promise;
  std::shared_future<std::string> shared = promise.get_future().share();
  Future<std::string> first = wrap_future(shared, loop.get());
  Future<std::string> second = loop->wrap_future(shared);
  promise.set_value("shared");
  CHECK(loop->run_until_complete(first) == "shared");
  CHECK(loop->run_until_complete(second) == "shared");

  std::promise<int> failing;
  Future<int> wrapped = wrap_future(failing.get_future(), loop.get());
  failing.set_exception(std::make_exception_ptr(std::runtime_error("producer failed")));
  CHECK_THROWS_WITH_AS(loop->run_until_complete(wrapped), "producer failed", std::runtime_error);
}

TEST_CASE("ThreadPoolExecutor runs every submitted call, up to max_workers at a time") {
  ThreadPoolExecutor pool(3);
  std::latch all_running(3);
  std::atomic<int> done = 0;
  for (int i = 0; i < 3; ++i) {
    pool.submit([&] {
      all_running.arrive_and_wait();  // would deadlock with fewer than 3 threads
      ++done;
    });
  }
  for (int i = 0; i < 20; ++i) pool.submit([&] { ++done; });
  pool.shutdown(true);
  CHECK(done == 23);
  CHECK_THROWS_AS(pool.submit([] {}), RuntimeError);
}

TEST_CASE("ThreadPoolExecutor::shutdown(wait=false) still runs the queued calls") {
  // Shared with the detached worker, which may outlive this scope.
  auto done = std::make_shared<std::atomic<int>>(0);
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> all_ran = finished->get_future();
  {
    auto pool = std::make_shared<ThreadPoolExecutor>(1);
    for (int i = 0; i < 5; ++i) pool->submit([done] { ++*done; });
    pool->submit([finished] { finished->set_value(); });
    pool->shutdown(false);
  }
  all_ran.wait();
  CHECK(*done == 5);
}

TEST_CASE("LOOP-EXECUTOR-LAZY-DEFAULT: many calls on the default executor") {
  auto loop = TestLoop::create();
  std::vector<Awaitable<int>> calls;
  for (int i = 0; i < 50; ++i) calls.emplace_back(loop->run_in_executor(nullptr, [i] { return i * i; }));
  auto results = loop->run_until_complete(gather(std::move(calls), loop.get()));
  REQUIRE(results.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(results[i] == i * i);
}
