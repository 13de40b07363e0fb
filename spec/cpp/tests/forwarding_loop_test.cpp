// ForwardingEventLoop over TestLoop: the vocabulary runs through the
// wrapper's own primitives (TIER-SCHEDULER-PUBLIC-API-ONLY).
#include <doctest/doctest.h>

#include "test_loop.hpp"

using namespace pep3156;
using pep3156::testing::TestLoop;

namespace {
/// Counts the call_soon() calls that go through the wrapper.
class CountingLoop final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    ++call_soon_calls;
    return ForwardingEventLoop::call_soon(std::move(callback));
  }
  int call_soon_calls = 0;
};
}  // namespace

TEST_CASE("TIER-SCHEDULER-PUBLIC-API-ONLY: Futures made through the wrapper schedule through it") {
  auto inner = TestLoop::create();
  auto loop = std::make_shared<CountingLoop>(inner);
  Future<int> f(loop->create_future());
  CHECK(&f.get_loop() == loop.get());
  int seen = 0;
  f.add_done_callback([&](Future<int> done) { seen = done.result(); });
  f.set_result(3);
  CHECK(loop->call_soon_calls == 1);
  inner->run_ready();
  CHECK(seen == 3);
}

TEST_CASE("TIER-SCHEDULER-PUBLIC-API-ONLY: Tasks made through the wrapper step through it") {
  auto inner = TestLoop::create();
  auto loop = std::make_shared<CountingLoop>(inner);
  auto coroutine = []() -> Coroutine<AbstractEventLoop*> {
    co_await yield_now();
    co_await sleep(1.0);
    co_return &co_await this_loop();
  };
  Task<AbstractEventLoop*> task = loop->create_task(coroutine());
  CHECK(all_tasks(loop.get()).size() == 1);
  CHECK(all_tasks(inner.get()).empty());
  double start = loop->time();
  CHECK(loop->run_until_complete(task) == loop.get());
  CHECK(loop->time() == start + 1);
  CHECK(loop->call_soon_calls >= 3);  // first step, yield_now, the stopper ...
  CHECK_FALSE(loop->is_running());
}

TEST_CASE("ForwardingEventLoop forwards the loop's state and the exception handler") {
  auto inner = TestLoop::create();
  auto loop = std::make_shared<CountingLoop>(inner);
  bool handled = false;
  loop->set_exception_handler([&](AbstractEventLoop&, const ExceptionContext&) { handled = true; });
  CHECK(inner->get_exception_handler());
  loop->call_exception_handler(ExceptionContext{});
  CHECK(handled);
  loop->set_debug(true);
  CHECK(inner->get_debug());
  CHECK(loop->run_until_complete(loop->run_in_executor(nullptr, [] { return 4; })) == 4);
  loop->close();
  CHECK(inner->is_closed());
  CHECK(loop->is_closed());
  CHECK(&loop->inner() == inner.get());
}
