// gather, gather_outcomes, shield and ensure_future (clauses GATHER-*,
// SHIELD, FUT-ENSURE-FUTURE).
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "test_loop.hpp"
#include "test_support.hpp"

using namespace pep3156;
using pep3156::testing::record_handler_calls;
using pep3156::testing::TestLoop;

namespace {
Coroutine<int> value_after(double delay, int value) { co_return co_await sleep(delay, value); }

}  // namespace

TEST_CASE(
    "GATHER-RESULTS-IN-ORDER GATHER-WRAPS-COROUTINES: results in argument order, whatever the completion "
    "order") {
  auto loop = TestLoop::create();
  Future<int> direct(loop->create_future());
  loop->call_later(2, [direct] { direct.set_result(2); });
  auto all = gather<int>({value_after(3, 1), direct, value_after(1, 3)}, loop.get());
  double start = loop->time();
  CHECK(loop->run_until_complete(all) == std::vector<int>{1, 2, 3});
  CHECK(loop->time() == start + 3);
}

TEST_CASE("gather of nothing is done at once with an empty list") {
  auto loop = TestLoop::create();
  auto none = gather<int>({}, loop.get());
  CHECK(none.done());
  CHECK(none.result().empty());
  auto outcomes = gather_outcomes<int>({}, loop.get());
  CHECK(outcomes.done());
  CHECK(outcomes.result().empty());
}

TEST_CASE("GATHER-FIRST-FAILURE: the first failure propagates; the others keep running") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  Future<int> first(loop->create_future()), second(loop->create_future()), slow(loop->create_future());
  auto all = gather<int>({first, second, slow});
  loop->call_later(1, [first] { first.set_exception(std::runtime_error("first")); });
  loop->call_later(2, [second] { second.set_exception(std::runtime_error("second")); });
  CHECK_THROWS_WITH_AS(loop->run_until_complete(all), "first", std::runtime_error);
  CHECK_FALSE(slow.done());
  loop->run_until_complete(sleep(5.0, loop.get()));
  CHECK_FALSE(slow.done());
  // The later failure was seen by gather: it is not "never retrieved".
  first = second = Future<int>();
  CHECK(reports->empty());
}

TEST_CASE("GATHER-FIRST-FAILURE: a cancelled child cancels the outer Future (decision D-CORO-1)") {
  auto loop = TestLoop::create();
  Future<int> child(loop->create_future()), other(loop->create_future());
  auto all = gather<int>({child, other});
  child.cancel();
  loop->run_ready();
  CHECK(all.cancelled());
  CHECK_FALSE(other.done());
}

TEST_CASE("GATHER-OUTER-CANCEL-ISOLATED: cancelling the outer Future leaves the children running") {
  auto loop = TestLoop::create();
  Task<int> child = loop->create_task(value_after(1, 5));
  auto all = gather<int>({child});
  CHECK(all.cancel());
  CHECK(all.cancelled());
  CHECK(loop->run_until_complete(child) == 5);
  CHECK(all.cancelled());
}

TEST_CASE("gather_outcomes (return_exceptions=True): every child's outcome, in argument order") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  Future<int> fails(loop->create_future()), cancelled(loop->create_future());
  loop->call_later(1, [fails] { fails.set_exception(std::runtime_error("bad")); });
  loop->call_later(2, [cancelled] { cancelled.cancel(); });
  auto all = gather_outcomes<int>({value_after(3, 1), fails, cancelled});
  auto outcomes = loop->run_until_complete(all);
  REQUIRE(outcomes.size() == 3);
  CHECK(outcomes[0].result() == 1);
  CHECK_THROWS_WITH_AS(outcomes[1].result(), "bad", std::runtime_error);
  CHECK(outcomes[2].cancelled());
  CHECK(outcomes[1] == fails);
  outcomes.clear();
  all = Future<std::vector<Future<int>>>();
  fails = Future<int>();
  CHECK(reports->empty());
}

TEST_CASE("gather_outcomes of void coroutines") {
  auto loop = TestLoop::create();
  auto noop = []() -> Coroutine<void> { co_await yield_now(); };
  auto outcomes = loop->run_until_complete(gather_outcomes<void>({noop(), noop()}, loop.get()));
  CHECK(outcomes.size() == 2);
  for (auto& f : outcomes) CHECK_NOTHROW(f.result());
}

TEST_CASE("gather abandoned before its children finish leaks nothing") {
  auto loop = TestLoop::create();
  Future<int> never(loop->create_future());
  { auto all = gather<int>({never}); }
  { auto all = gather_outcomes<int>({never}); }
  never.set_result(1);
  loop->run_ready();
}

TEST_CASE("SHIELD: cancelling the shield leaves the inner Future running") {
  auto loop = TestLoop::create();
  Task<int> inner = loop->create_task(value_after(1, 9));
  Future<int> outer = shield<int>(inner);
  CHECK(outer.cancel());
  CHECK(outer.cancelled());
  CHECK(loop->run_until_complete(inner) == 9);
}

TEST_CASE("SHIELD: the inner result, exception or cancellation is mirrored") {
  auto loop = TestLoop::create();
  Future<int> inner(loop->create_future());
  Future<int> outer = shield<int>(inner);
  CHECK_FALSE(outer == inner);
  SUBCASE("result") {
    inner.set_result(4);
    CHECK(loop->run_until_complete(outer) == 4);
  }
  SUBCASE("exception") {
    inner.set_exception(std::runtime_error("inner"));
    CHECK_THROWS_WITH_AS(loop->run_until_complete(outer), "inner", std::runtime_error);
  }
  SUBCASE("cancellation") {
    inner.cancel();
    loop->run_ready();
    CHECK(outer.cancelled());
  }
}

TEST_CASE("SHIELD: a Task awaiting the shield can be cancelled without cancelling the inner") {
  auto loop = TestLoop::create();
  Future<int> inner(loop->create_future());
  auto waiter = [](Future<int> inner) -> Coroutine<int> { co_return co_await shield<int>(inner); };
  Task<int> task = loop->create_task(waiter(inner));
  loop->run_ready();
  task.cancel();
  loop->run_ready();
  CHECK(task.cancelled());
  CHECK_FALSE(inner.done());
}

TEST_CASE("SHIELD: a done argument is returned as it is") {
  auto loop = TestLoop::create();
  Future<int> done(loop->create_future());
  done.set_result(1);
  CHECK(shield<int>(done) == done);
}

TEST_CASE("SHIELD: an exception after the shield was cancelled is not reported as never retrieved") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  {
    Future<int> inner(loop->create_future());
    Future<int> outer = shield<int>(inner);
    outer.cancel();
    inner.set_exception(std::runtime_error("late"));
    loop->run_ready();
  }
  CHECK(reports->empty());
}

TEST_CASE("FUT-ENSURE-FUTURE: a Future is returned unchanged, a coroutine is wrapped in a Task") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  CHECK(ensure_future<int>(f) == f);
  auto coroutine = []() -> Coroutine<int> { co_return 6; };
  Future<int> wrapped = ensure_future<int>(coroutine(), loop.get());
  CHECK(dynamic_cast<StandardTask*>(wrapped.state().get()) != nullptr);
  CHECK(&wrapped.get_loop() == loop.get());
  CHECK(loop->run_until_complete(wrapped) == 6);
}

TEST_CASE("FUT-ENSURE-FUTURE: copies of one coroutine Awaitable wrap it only once") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<int> { co_return 6; };
  Awaitable<int> original(coroutine());
  Awaitable<int> copy = original;
  Future<int> task = original.ensure_future(loop.get());
  CHECK_THROWS_AS(copy.ensure_future(loop.get()), RuntimeError);
  CHECK(loop->run_until_complete(task) == 6);
}
