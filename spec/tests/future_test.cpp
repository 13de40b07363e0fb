#include <doctest/doctest.h>

#include "test_loop.hpp"

using namespace pep3156;
using pep3156::testing::TestLoop;

TEST_CASE("a new Future is pending") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  CHECK_FALSE(f.done());
  CHECK_FALSE(f.cancelled());
  CHECK_THROWS_AS(f.result(), InvalidStateError);
  CHECK_THROWS_AS(f.exception(), InvalidStateError);
}

TEST_CASE("set_result makes the Future done; callbacks are scheduled, not called") {
  auto loop = TestLoop::create();
  Future<int> f(loop->create_future());
  int seen = 0;
  f.add_done_callback([&](Future<int> done) { seen = done.result(); });
  f.set_result(42);
  CHECK(f.done());
  CHECK(f.result() == 42);
  CHECK(seen == 0);  // not called synchronously
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  CHECK(seen == 42);
}

TEST_CASE("a coroutine Task runs to completion") {
  auto loop = TestLoop::create();
  auto coro = [](AbstractEventLoop& l) -> Coroutine<int> {
    co_await sleep(1.0, &l);
    co_return 7;
  };
  double start = loop->time();
  CHECK(loop->run_until_complete(coro(*loop)) == 7);
  CHECK(loop->time() - start >= 1.0);
}
