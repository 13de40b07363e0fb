// sleep, wait, wait_for and as_completed (clauses SLEEP, WAIT-*, WAIT-FOR-*,
// AS-COMPLETED-*). TestLoop's clock is virtual, so every delay is exact.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "test_loop.hpp"

using namespace pep3156;
using pep3156::testing::TestLoop;

namespace {
/// Returns `value` after `delay` seconds of loop time.
Coroutine<int> value_after(double delay, int value) { co_return co_await sleep(delay, value); }

/// Raises after `delay` seconds of loop time.
Coroutine<int> fail_after(double delay) {
  co_await sleep(delay);
  throw std::runtime_error("failed");
}

/// Completes `f` with `value` (or cancels it if value < 0) at `when`.
void complete_at(TestLoop& loop, double when, Future<int> f, int value) {
  loop.call_at(loop.time() + when, [f, value] { value < 0 ? void(f.cancel()) : f.set_result(value); });
}

std::vector<int> results_of(const std::vector<Future<int>>& futures) {
  std::vector<int> results;
  for (const auto& f : futures) results.push_back(f.result());
  return results;
}
}  // namespace

TEST_CASE("SLEEP: sleep(d) completes after d seconds of loop time; other callbacks run meanwhile") {
  auto loop = TestLoop::create();
  double start = loop->time();
  bool other_ran = false;
  loop->call_later(0.5, [&] { other_ran = true; });
  loop->run_until_complete(sleep(1.5));
  CHECK(loop->time() == start + 1.5);
  CHECK(other_ran);
}

TEST_CASE("SLEEP: sleep(d, result) returns the result; a negative delay is sleep(0)") {
  auto loop = TestLoop::create();
  double start = loop->time();
  CHECK(loop->run_until_complete(sleep(-1.0, std::string("value"))) == "value");
  CHECK(loop->time() == start);
}

TEST_CASE("POLICY-LOOP-KWARG: sleep on an explicit loop") {
  auto loop = TestLoop::create();
  double start = loop->time();
  loop->run_until_complete(sleep(2.0, loop.get()));
  CHECK(loop->time() == start + 2);
}

TEST_CASE("WAIT-ALL-COMPLETED WAIT-DONE-PENDING: wait() returns when every input is done") {
  auto loop = TestLoop::create();
  Future<int> a(loop->create_future()), b(loop->create_future());
  complete_at(*loop, 2, a, 1);
  complete_at(*loop, 1, b, 2);
  double start = loop->time();
  auto result = loop->run_until_complete(wait<int>({a, b}));
  CHECK(loop->time() == start + 2);
  CHECK(result.done == std::vector<Future<int>>{a, b});
  CHECK(result.pending.empty());
}

TEST_CASE("WAIT-FIRST-COMPLETED: wait() returns as soon as one input is done, cancelled ones too") {
  auto loop = TestLoop::create();
  Future<int> a(loop->create_future()), b(loop->create_future());
  SUBCASE("with a result") { complete_at(*loop, 1, a, 1); }
  SUBCASE("cancelled") { complete_at(*loop, 1, a, -1); }
  double start = loop->time();
  auto result = loop->run_until_complete(wait<int>({a, b}, {.return_when = FIRST_COMPLETED}));
  CHECK(loop->time() == start + 1);
  CHECK(result.done == std::vector<Future<int>>{a});
  CHECK(result.pending == std::vector<Future<int>>{b});
  CHECK_FALSE(b.done());  // wait() never cancels
}

TEST_CASE("WAIT-FIRST-EXCEPTION: wait() returns at the first exception; a cancellation does not count") {
  auto loop = TestLoop::create();
  Future<int> cancelled(loop->create_future()), failing(loop->create_future()), slow(loop->create_future());
  complete_at(*loop, 1, cancelled, -1);
  loop->call_later(2, [failing] { failing.set_exception(std::runtime_error("x")); });
  complete_at(*loop, 3, slow, 1);
  double start = loop->time();
  auto result =
      loop->run_until_complete(wait<int>({cancelled, failing, slow}, {.return_when = FIRST_EXCEPTION}));
  CHECK(loop->time() == start + 2);
  CHECK(result.done == std::vector<Future<int>>{cancelled, failing});
  CHECK(result.pending == std::vector<Future<int>>{slow});
}

TEST_CASE("WAIT-FIRST-EXCEPTION: without an exception, wait() waits for every input") {
  auto loop = TestLoop::create();
  Future<int> a(loop->create_future()), b(loop->create_future());
  complete_at(*loop, 1, a, -1);
  complete_at(*loop, 2, b, 1);
  double start = loop->time();
  auto result = loop->run_until_complete(wait<int>({a, b}, {.return_when = FIRST_EXCEPTION}));
  CHECK(loop->time() == start + 2);
  CHECK(result.pending.empty());
}

TEST_CASE("WAIT-FIRST-EXCEPTION: an input that already failed makes wait() return at once") {
  auto loop = TestLoop::create();
  Future<int> failed(loop->create_future()), pending(loop->create_future());
  failed.set_exception(std::runtime_error("x"));
  auto result = loop->run_until_complete(wait<int>({pending, failed}, {.return_when = FIRST_EXCEPTION}));
  CHECK(result.done == std::vector<Future<int>>{failed});
  CHECK(result.pending == std::vector<Future<int>>{pending});
}

TEST_CASE("WAIT-TIMEOUT: on timeout wait() returns, neither cancelling nor raising") {
  auto loop = TestLoop::create();
  Future<int> quick(loop->create_future()), slow(loop->create_future());
  complete_at(*loop, 1, quick, 1);
  double start = loop->time();
  auto result = loop->run_until_complete(wait<int>({quick, slow}, {.timeout = 5}));
  CHECK(loop->time() == start + 5);
  CHECK(result.done == std::vector<Future<int>>{quick});
  CHECK(result.pending == std::vector<Future<int>>{slow});
  CHECK_FALSE(slow.done());
}

TEST_CASE("WAIT-TIMEOUT: the timeout timer is cancelled when wait() returns early") {
  auto loop = TestLoop::create();
  Future<int> quick(loop->create_future());
  complete_at(*loop, 1, quick, 1);
  double start = loop->time();
  loop->run_until_complete(wait<int>({quick}, {.timeout = 100}));
  loop->call_later(1, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(loop->time() == start + 2);  // no jump to the abandoned deadline
}

TEST_CASE("wait() on an empty input raises ValueError") {
  auto loop = TestLoop::create();
  CHECK_THROWS_AS(loop->run_until_complete(wait<int>({})), ValueError);
}

TEST_CASE("WAIT-WRAPS-COROUTINES: coroutine inputs are wrapped in Tasks") {
  auto loop = TestLoop::create();
  auto result = loop->run_until_complete(wait<int>({value_after(2, 20), value_after(1, 10)}));
  REQUIRE(result.done.size() == 2);
  CHECK(results_of(result.done) == std::vector<int>{20, 10});  // input order
  for (const auto& f : result.done) CHECK(dynamic_cast<StandardTask*>(f.state().get()) != nullptr);
}

TEST_CASE("cancelling a Task in wait() leaves the inputs alone") {
  auto loop = TestLoop::create();
  Future<int> input(loop->create_future());
  Task<WaitResult<int>> waiter = loop->create_task(wait<int>({input}));
  loop->run_ready();
  waiter.cancel();
  loop->run_ready();
  CHECK(waiter.cancelled());
  CHECK_FALSE(input.done());
}

TEST_CASE("WAIT-FOR-TIMEOUT-CANCELS: wait_for returns the result when it is in time") {
  auto loop = TestLoop::create();
  double start = loop->time();
  CHECK(loop->run_until_complete(wait_for<int>(value_after(1, 7), 5)) == 7);
  CHECK(loop->time() == start + 1);
}

TEST_CASE("WAIT-FOR-TIMEOUT-CANCELS: on timeout wait_for cancels the awaitable and raises TimeoutError") {
  auto loop = TestLoop::create();
  Future<int> slow(loop->create_future());
  double start = loop->time();
  CHECK_THROWS_AS(loop->run_until_complete(wait_for<int>(slow, 2)), TimeoutError);
  CHECK(loop->time() == start + 2);
  CHECK(slow.cancelled());
}

TEST_CASE("WAIT-FOR-TIMEOUT-CANCELS: a coroutine that times out is cancelled inside") {
  auto loop = TestLoop::create();
  bool saw_cancel = false;
  auto slow = [](bool& saw_cancel) -> Coroutine<int> {
    try {
      co_await sleep(10.0);
    } catch (const CancelledError&) {
      saw_cancel = true;
      throw;
    }
    co_return 1;
  };
  CHECK_THROWS_AS(loop->run_until_complete(wait_for<int>(slow(saw_cancel), 1)), TimeoutError);
  loop->run_ready();  // the cancelled Task takes its step
  CHECK(saw_cancel);
}

TEST_CASE("WAIT-FOR-TIMEOUT-CANCELS: wait_for raises the awaitable's exception") {
  auto loop = TestLoop::create();
  CHECK_THROWS_WITH_AS(loop->run_until_complete(wait_for<int>(fail_after(1), 5)), "failed",
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(loop->run_until_complete(wait_for<int>(fail_after(1), std::nullopt)), "failed",
                       std::runtime_error);
}

TEST_CASE("wait_for without a timeout waits as long as it takes") {
  auto loop = TestLoop::create();
  double start = loop->time();
  CHECK(loop->run_until_complete(wait_for<int>(value_after(1000, 3), std::nullopt)) == 3);
  CHECK(loop->time() == start + 1000);
}

TEST_CASE("wait_for with a zero timeout and a pending awaitable times out at once") {
  auto loop = TestLoop::create();
  Future<int> slow(loop->create_future());
  CHECK_THROWS_AS(loop->run_until_complete(wait_for<int>(slow, 0)), TimeoutError);
  CHECK(slow.cancelled());
}

TEST_CASE("WAIT-FOR-TIMEOUT-CANCELS: cancelling the Task in wait_for cancels the awaitable") {
  auto loop = TestLoop::create();
  Future<int> inner(loop->create_future());
  std::optional<double> timeout;
  SUBCASE("with a timeout") { timeout = 10; }
  SUBCASE("without a timeout") { timeout = std::nullopt; }
  Task<int> outer = loop->create_task(wait_for<int>(inner, timeout));
  loop->run_ready();
  outer.cancel();
  loop->run_ready();
  CHECK(outer.cancelled());
  CHECK(inner.cancelled());
}

TEST_CASE("AS-COMPLETED-ORDER: as_completed yields outcomes in completion order") {
  auto loop = TestLoop::create();
  Future<int> a(loop->create_future()), b(loop->create_future()), c(loop->create_future());
  complete_at(*loop, 3, a, 1);
  complete_at(*loop, 1, b, 2);
  loop->call_later(2, [c] { c.set_exception(std::runtime_error("c failed")); });
  auto collect = [](std::vector<Future<int>> in_order) -> Coroutine<std::vector<std::string>> {
    std::vector<std::string> outcomes;
    for (auto& next : in_order) {
      try {
        outcomes.push_back(std::to_string(co_await next));
      } catch (const std::runtime_error& e) {
        outcomes.push_back(e.what());
      }
    }
    co_return outcomes;
  };
  auto outcomes = loop->run_until_complete(collect(as_completed<int>({a, b, c})));
  CHECK(outcomes == std::vector<std::string>{"2", "c failed", "1"});
}

TEST_CASE("AS-COMPLETED-TIMEOUT: after the timeout the remaining placeholders raise TimeoutError") {
  auto loop = TestLoop::create();
  Future<int> quick(loop->create_future()), slow(loop->create_future());
  complete_at(*loop, 1, quick, 1);
  auto in_order = as_completed<int>({quick, slow}, 2);
  REQUIRE(in_order.size() == 2);
  CHECK(loop->run_until_complete(in_order[0]) == 1);
  double start = loop->time();
  CHECK_THROWS_AS(loop->run_until_complete(in_order[1]), TimeoutError);
  CHECK(loop->time() == start + 1);
  CHECK_FALSE(slow.done());  // as_completed does not cancel
}

TEST_CASE("as_completed on an empty input yields nothing") {
  auto loop = TestLoop::create();
  CHECK(as_completed<int>({}, 1, loop.get()).empty());
}

TEST_CASE("as_completed abandoned with inputs that never complete leaks nothing") {
  auto loop = TestLoop::create();
  Future<int> never(loop->create_future());
  { auto in_order = as_completed<int>({never}); }
  {
    auto in_order = as_completed<int>({never}, 1);
    CHECK_THROWS_AS(loop->run_until_complete(in_order[0]), TimeoutError);
  }
  // LeakSanitizer checks the rest.
}
