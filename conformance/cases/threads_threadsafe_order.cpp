// call_soon_threadsafe() called from the loop's own thread (PEP 3156,
// "Thread interaction"): it is "like call_soon()", so from the thread that
// runs the loop its callbacks take their place in call_soon()'s FIFO order;
// a loop that queues them apart and appends them at its next poll runs
// them after call_soon() callbacks scheduled later.
#include <vector>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("threads.call_soon_threadsafe.fifo_with_call_soon_on_loop_thread",
              clauses("LOOP-CALLSOON-FIFO", "LOOP-THREADSAFE-HANDLE")) {
  auto loop = ctx.new_loop();
  constexpr int kCallbacks = 10;
  std::vector<int> order;
  bool handles = true;
  loop->call_soon([&] {
    for (int i = 0; i < kCallbacks; ++i) {
      auto record = [&order, i] { order.push_back(i); };
      if (i % 2 == 0) {
        loop->call_soon(record);
      } else {
        handles = handles && static_cast<bool>(loop->call_soon_threadsafe(record));
      }
    }
  });
  conformance::run_until(
      ctx, *loop, [&] { return order.size() == kCallbacks; },
      "call_soon() and call_soon_threadsafe() callbacks scheduled by a callback");
  CHECK_THAT(handles, "call_soon_threadsafe() returns a Handle");
  CHECK_THAT(order == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
             "from the loop's thread, call_soon_threadsafe() callbacks run in order with call_soon() ones");
}
