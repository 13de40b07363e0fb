// What scheduling costs in heap allocations, counted by a replaced global
// operator new (this binary only): a regression test for the hot path, which
// needs no clock.
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>

#include "test_loop.hpp"

namespace {
thread_local long allocations = 0;  // by this thread: worker threads do not count
}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace pep3156;
using pep3156::testing::TestLoop;

TEST_CASE("FUT-CALLBACK-SCHEDULED: a done-callback costs the loop's Handle and nothing more") {
  auto loop = TestLoop::create();
  FuturePtr future = loop->create_future();
  future->set_result_value(Value(1));
  int calls = 0;
  auto add_and_run = [&] {
    future->add_done_callback([&calls](const FuturePtr&) { ++calls; });
    loop->run_ready();
  };
  add_and_run();  // the first one sizes the Future's callback list
  long before = allocations;
  for (int i = 0; i < 100; ++i) add_and_run();
  // TestLoop::call_soon() makes one HandleState per callback, and its ready
  // queue (a std::deque) grows by a block now and then. Wrapping the
  // done-callback in a heap-allocated loop callback would add 100.
  CHECK(allocations - before < 150);
  CHECK(calls == 101);
}
