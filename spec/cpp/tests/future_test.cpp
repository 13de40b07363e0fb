// StandardFuture and Future<T>: the PEP's state machine (clauses FUT-*).
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_loop.hpp"
#include "test_support.hpp"

using namespace pep3156;
using pep3156::testing::DestroyFlag;
using pep3156::testing::record_handler_calls;
using pep3156::testing::TestLoop;

namespace {
std::exception_ptr boom() { return std::make_exception_ptr(std::runtime_error("boom")); }
}  // namespace

TEST_CASE("FUT-DONE FUT-RESULT-NO-WAIT FUT-INVALID-STATE: a new Future is pending and never waits") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  CHECK_FALSE(f.done());
  CHECK_FALSE(f.cancelled());
  CHECK_THROWS_AS(f.result(), InvalidStateError);
  CHECK_THROWS_AS(f.exception(), InvalidStateError);
  CHECK(&f.get_loop() == loop.get());  // FUT-LOOP-BOUND
}

TEST_CASE("FUT-SET-RESULT FUT-EXCEPTION: set_result makes the Future done; exception() is null") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  f.set_result(42);
  CHECK(f.done());
  CHECK_FALSE(f.cancelled());
  CHECK(f.result() == 42);
  CHECK(f.exception() == nullptr);
}

TEST_CASE("FUT-SET-EXCEPTION FUT-RESULT LOOP-ERR-FUTURE-PASSTHROUGH: result() rethrows what was set") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  f.set_exception(std::runtime_error("boom"));
  CHECK(f.done());
  CHECK_FALSE(f.cancelled());
  CHECK_THROWS_WITH_AS(f.result(), "boom", std::runtime_error);
  REQUIRE(f.exception() != nullptr);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(f.exception()), "boom", std::runtime_error);
}

TEST_CASE("set_exception(nullptr) is a TypeError and leaves the Future pending") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  CHECK_THROWS_AS(f.set_exception(std::exception_ptr()), TypeError);
  CHECK_FALSE(f.done());
}

TEST_CASE("FUT-CANCEL-PENDING FUT-CANCEL-PLAIN-IMMEDIATE FUT-CANCELLED-ERROR: cancel() of a pending Future") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  CHECK(f.cancel());
  CHECK(f.cancelled());
  CHECK(f.done());
  CHECK_THROWS_AS(f.result(), CancelledError);
  CHECK_THROWS_AS(f.exception(), CancelledError);
}

TEST_CASE("FUT-CANCEL-DONE-RETURNS-FALSE: cancel() returns True once, then False") {
  auto loop = TestLoop::create();
  SUBCASE("cancelled") {
    Future<int> f(loop->create_future());
    CHECK(f.cancel());
    CHECK_FALSE(f.cancel());
    CHECK(f.cancelled());
  }
  SUBCASE("with a result") {
    Future<int> f(loop->create_future());
    f.set_result(1);
    CHECK_FALSE(f.cancel());
    CHECK_FALSE(f.cancelled());
    CHECK(f.result() == 1);
  }
  SUBCASE("with an exception") {
    Future<int> f(loop->create_future());
    f.set_exception(boom());
    CHECK_FALSE(f.cancel());
    CHECK_FALSE(f.cancelled());
    CHECK(f.exception() != nullptr);
  }
}

TEST_CASE("FUT-SET-RESULT FUT-SET-EXCEPTION FUT-INVALID-STATE: a done Future never changes again") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  SUBCASE("after set_result") { f.set_result(1); }
  SUBCASE("after set_exception") {
    f.set_exception(boom());
    CHECK(f.exception() != nullptr);
  }
  SUBCASE("after cancel") { f.cancel(); }
  bool was_cancelled = f.cancelled();
  CHECK_THROWS_AS(f.set_result(2), InvalidStateError);
  CHECK_THROWS_AS(f.set_exception(boom()), InvalidStateError);
  CHECK(f.cancelled() == was_cancelled);
  if (!was_cancelled && f.exception() == nullptr) CHECK(f.result() == 1);
}

TEST_CASE(
    "FUT-CALLBACK-NEVER-IMMEDIATE FUT-CALLBACK-SCHEDULED: completing schedules callbacks through call_soon") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  int calls = 0;
  f.add_done_callback([&](Future<int>) { ++calls; });
  f.add_done_callback([&](Future<int>) { ++calls; });
  CHECK(loop->ready_count() == 0);
  SUBCASE("set_result") { f.set_result(1); }
  SUBCASE("set_exception") {
    f.set_exception(boom());
    f.exception();
  }
  SUBCASE("cancel") { f.cancel(); }
  CHECK(calls == 0);                // not called from inside set_result/set_exception/cancel
  CHECK(loop->ready_count() == 2);  // FUT-CALLBACK-SERIALIZED: one loop callback each
  loop->run_ready();
  CHECK(calls == 2);
}

TEST_CASE("FUT-CALLBACK-NEVER-IMMEDIATE: add_done_callback on a done Future schedules, never calls") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  f.set_result(1);
  int calls = 0;
  f.add_done_callback([&](Future<int>) { ++calls; });
  CHECK(calls == 0);
  CHECK(loop->ready_count() == 1);
  loop->run_ready();
  CHECK(calls == 1);
}

TEST_CASE("FUT-CALLBACK-ONE-ARG: the callback receives the Future itself") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  Future<int> seen;
  f.add_done_callback([&](Future<int> done) { seen = done; });
  FuturePtr seen_untyped;
  f.state()->add_done_callback([&](const FuturePtr& done) { seen_untyped = done; });
  f.set_result(5);
  loop->run_ready();
  CHECK(seen == f);
  CHECK(seen_untyped == f.state());
}

TEST_CASE("FUT-CALLBACK-SERIALIZED: done-callbacks run in registration order, interleaved with call_soon") {
  auto loop = TestLoop::create();
  Future<void> f(loop->create_future());
  std::vector<std::string> order;
  f.add_done_callback([&](Future<void>) { order.push_back("first"); });
  loop->call_soon([&] { order.push_back("soon"); });
  f.add_done_callback([&](Future<void>) { order.push_back("second"); });
  f.set_result();
  f.add_done_callback([&](Future<void>) { order.push_back("after done"); });
  loop->run_ready();
  CHECK(order == std::vector<std::string>{"soon", "first", "second", "after done"});
}

TEST_CASE("FUT-REMOVE-DONE-CALLBACK: remove_done_callback returns how many registrations it removed") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  int calls = 0;
  CallbackId removed = f.add_done_callback([&](Future<int>) { calls += 10; });
  f.add_done_callback([&](Future<int>) { calls += 1; });
  CHECK(f.remove_done_callback(removed) == 1);
  CHECK(f.remove_done_callback(removed) == 0);
  CHECK(f.remove_done_callback(CallbackId{12345}) == 0);
  f.set_result(1);
  loop->run_ready();
  CHECK(calls == 1);
}

TEST_CASE("FUT-REMOVE-DONE-CALLBACK: a callback already scheduled cannot be removed") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  int calls = 0;
  CallbackId id = f.add_done_callback([&](Future<int>) { ++calls; });
  f.set_result(1);
  CHECK(f.remove_done_callback(id) == 0);
  loop->run_ready();
  CHECK(calls == 1);
}

TEST_CASE("a done-callback may add another done-callback to the same Future") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  std::vector<int> order;
  f.add_done_callback([&](Future<int> done) {
    order.push_back(1);
    done.add_done_callback([&](Future<int>) { order.push_back(3); });
  });
  f.add_done_callback([&](Future<int>) { order.push_back(2); });
  f.set_result(0);
  loop->run_ready();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("done-callbacks a closed loop drops unrun are released, not kept by the Future") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  auto destroyed = std::make_shared<bool>(false);
  f.add_done_callback([flag = DestroyFlag(destroyed)](Future<int>) {});
  f.set_result(1);
  CHECK_FALSE(*destroyed);
  loop->close();  // drops the ready queue
  CHECK(*destroyed);
  CHECK(f.result() == 1);
}

TEST_CASE("FUT-UNRETRIEVED-EXCEPTION-LOGGED: an exception never retrieved is reported when the Future dies") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  {
    Future<int> f(loop->create_future());
    f.set_exception(std::runtime_error("lost"));
  }
  REQUIRE(reports->size() == 1);
  CHECK(reports->front().find("never retrieved") != std::string::npos);
  CHECK(reports->front().find("lost") != std::string::npos);
}

TEST_CASE("FUT-UNRETRIEVED-EXCEPTION-LOGGED: nothing is reported once result() or exception() was called") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  {
    Future<int> f(loop->create_future());
    f.set_exception(boom());
    SUBCASE("result()") { CHECK_THROWS(f.result()); }
    SUBCASE("exception()") { CHECK(f.exception() != nullptr); }
  }
  {
    Future<int> with_result(loop->create_future());
    with_result.set_result(1);
    Future<int> cancelled(loop->create_future());
    cancelled.cancel();
    Future<int> pending(loop->create_future());
  }
  CHECK(reports->empty());
}

TEST_CASE("FUT-UNRETRIEVED-EXCEPTION-LOGGED: a Future that outlives its loop is destroyed quietly") {
  auto loop = TestLoop::create();
  auto reports = record_handler_calls(*loop);
  Future<int> f(loop->create_future());
  f.set_exception(boom());
  loop.reset();  // the loop is gone; destroying the Future must not touch it
  f = Future<int>();
  CHECK(reports->empty());
}

TEST_CASE(
    "FUT-UNRETRIEVED-EXCEPTION-LOGGED: an exception handler that throws does not escape the destructor") {
  auto loop = TestLoop::create();
  loop->set_exception_handler(
      [](AbstractEventLoop&, const ExceptionContext&) { throw std::runtime_error("handler failed"); });
  {
    Future<int> f(loop->create_future());
    f.set_exception(boom());
  }  // the default handler reports both; nothing propagates
  CHECK(true);
}

TEST_CASE("Future<T> holds a move-only result") {
  auto loop = TestLoop::create();
  Future<std::unique_ptr<int>> f(loop->create_future());
  f.set_result(std::make_unique<int>(7));
  REQUIRE(f.result() != nullptr);
  CHECK(*f.result() == 7);
  // Awaiting (and run_until_complete) moves the result out.
  std::unique_ptr<int> taken = loop->run_until_complete(f);
  REQUIRE(taken != nullptr);
  CHECK(*taken == 7);
}

TEST_CASE("Future<T> holds a large result on the heap") {
  auto loop = TestLoop::create();
  Future<std::string> f(loop->create_future());
  std::string text(1000, 'x');
  f.set_result(text);
  CHECK(f.result() == text);
  CHECK(loop->run_until_complete(f) == text);
  CHECK(f.result() == text);  // copyable results are copied, not moved, out
}

TEST_CASE("Future<void>") {
  auto loop = TestLoop::create();
  Future<void> f(loop->create_future());
  CHECK_THROWS_AS(f.result(), InvalidStateError);
  f.set_result();
  CHECK(f.done());
  CHECK_NOTHROW(f.result());
  CHECK(f.exception() == nullptr);
  CHECK_NOTHROW(loop->run_until_complete(f));
}

TEST_CASE("a Future<T> read as another type raises TypeError") {
  auto loop = TestLoop::create();
  FuturePtr state = loop->create_future();
  Future<int>(state).set_result(1);
  CHECK_THROWS_AS(Future<long>(state).result(), TypeError);
  CHECK(Future<int>(state).result() == 1);
}

TEST_CASE("Future<T>(loop) creates a StandardFuture on that loop; copies share it") {
  auto loop = TestLoop::create();
  Future<int> f(*loop);
  Future<int> copy = f;
  CHECK(copy == f);
  copy.set_result(3);
  CHECK(f.result() == 3);
  CHECK(dynamic_cast<StandardFuture*>(f.state().get()) != nullptr);
  CHECK_FALSE(Future<int>().valid());
}
