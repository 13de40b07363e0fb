// Futures on the loop (PEP 3156, "Futures"): the standard Future's done
// callbacks go through the loop's call_soon(), so a loop that calls them
// too early breaks the Future (the "litmus test" tier).
#include <stdexcept>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("futures.done_callback.never_immediate",
              clauses("FUT-CALLBACK-NEVER-IMMEDIATE", "FUT-CALLBACK-SCHEDULED")) {
  auto loop = ctx.new_loop();
  Future<int> with_result = loop->create_future<int>();
  Future<int> with_exception = loop->create_future<int>();
  Future<int> cancelled = loop->create_future<int>();
  int calls[4] = {0, 0, 0, 0};
  with_result.add_done_callback([&](Future<int>) { ++calls[0]; });
  with_exception.add_done_callback([&](Future<int>) { ++calls[1]; });
  cancelled.add_done_callback([&](Future<int>) { ++calls[2]; });

  with_result.set_result(1);
  CHECK_EQUAL(calls[0], 0, "set_result() schedules the done callbacks; it does not call them");
  with_exception.set_exception(std::runtime_error("failed"));
  CHECK_EQUAL(calls[1], 0, "set_exception() schedules the done callbacks; it does not call them");
  cancelled.cancel();
  CHECK_EQUAL(calls[2], 0, "cancel() schedules the done callbacks; it does not call them");
  with_result.add_done_callback([&](Future<int>) { ++calls[3]; });
  CHECK_EQUAL(calls[3], 0,
              "add_done_callback() on a done Future schedules the callback; it does not call it");

  conformance::stop_when(*loop, [&] { return calls[0] + calls[1] + calls[2] + calls[3] >= 4; });
  ctx.run_forever(*loop, "four done callbacks to run");
  with_exception.exception();  // retrieved: nothing to report at destruction
  CHECK_THAT(calls[0] == 1 && calls[1] == 1 && calls[2] == 1 && calls[3] == 1,
             "each done callback runs once, from the loop");
}

LOOPCERT_CASE("futures.done_callback.receives_the_future", clauses("FUT-CALLBACK-ONE-ARG")) {
  auto loop = ctx.new_loop();
  Future<int> future = loop->create_future<int>();
  bool same = false;
  int value = 0;
  future.add_done_callback([&](Future<int> done) {
    same = done == future;
    value = done.result();
    loop->stop();
  });
  loop->call_soon([future] { future.set_result(5); });
  ctx.run_forever(*loop, "a done callback");
  CHECK_THAT(same, "a done callback is called with the Future itself");
  CHECK_EQUAL(value, 5, "the Future it receives is done, with its result");
}
