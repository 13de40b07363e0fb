// as_completed() (PEP 3156, "Waiting for Multiple Coroutines"): "waiting
// for successive values waits until the next Future or coroutine from the
// set fs completes, and returns its result (or raises its exception)";
// after the timeout, "the next Future returned by the iterator will raise
// TimeoutError when waited for." Each case checks the standard Future and
// Task and the loop's own.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;
using library_support::kBothKinds;
using library_support::new_future;
using library_support::start_task;
using library_support::task_says;

namespace {
/// Awaits each of as_completed()'s values in turn: "result N", "raised
/// WHAT" or "TimeoutError after T s".
Coroutine<std::vector<std::string>> await_each(std::vector<Future<int>> inputs,
                                               std::optional<double> timeout) {
  AbstractEventLoop& loop = co_await this_loop();
  double start = loop.time();
  std::vector<std::string> seen;
  for (Future<int> next : as_completed(inputs, timeout, &loop)) {
    try {
      seen.push_back(conformance::str("result ", co_await next));
    } catch (const TimeoutError&) {
      seen.push_back(conformance::str("TimeoutError after ", loop.time() - start));
    } catch (const std::exception& e) {
      seen.push_back(conformance::str("raised ", e.what()));
    }
  }
  co_return seen;
}

void complete_later(AbstractEventLoop& loop, Future<int> future, int value, int rounds) {
  loop.call_soon([&loop, future, value, rounds] {
    if (rounds > 0) {
      complete_later(loop, future, value, rounds - 1);
    } else {
      future.set_result(value);
    }
  });
}
}  // namespace

LOOPCERT_CASE("coroutines.as_completed.in_completion_order", clauses("AS-COMPLETED-ORDER")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    std::vector<Future<int>> f;
    for (int i = 0; i < 3; ++i) f.push_back(new_future<int>(kind, *loop));
    Task<std::vector<std::string>> reader = start_task(kind, *loop, await_each(f, std::nullopt));
    complete_later(*loop, f[2], 2, 1);
    complete_later(*loop, f[0], 0, 4);
    complete_later(*loop, f[1], 1, 8);
    auto seen = ctx.run_until_complete(*loop, reader, "as_completed() of three Futures");
    CHECK_THAT(
        seen == (std::vector<std::string>{"result 2", "result 0", "result 1"}),
        task_says(kind, "the k-th value of as_completed() gives the outcome of the k-th input to complete"));
  }
}

LOOPCERT_CASE("coroutines.as_completed.raises_an_inputs_exception", clauses("AS-COMPLETED-ORDER")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> fails = new_future<int>(kind, *loop);
    Future<int> succeeds = new_future<int>(kind, *loop);
    Task<std::vector<std::string>> reader =
        start_task(kind, *loop, await_each({succeeds, fails}, std::nullopt));
    loop->call_soon([fails] { fails.set_exception(std::runtime_error("the first to complete")); });
    complete_later(*loop, succeeds, 7, 3);
    auto seen = ctx.run_until_complete(*loop, reader, "as_completed() with a failing input");
    CHECK_THAT(
        seen == (std::vector<std::string>{"raised the first to complete", "result 7"}),
        task_says(kind, "waiting for a value whose input failed raises its exception; the next goes on"));
  }
}

LOOPCERT_CASE("coroutines.as_completed.inputs_already_done", clauses("AS-COMPLETED-ORDER")) {
  // Inputs done before the call have completed in an order the kit did not
  // see: every result comes out, in some order.
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    std::vector<Future<int>> f;
    for (int i = 0; i < 3; ++i) {
      f.push_back(new_future<int>(kind, *loop));
      f.back().set_result(i);
    }
    auto seen = ctx.run_until_complete(*loop, start_task(kind, *loop, await_each(f, std::nullopt)),
                                       "as_completed() of done Futures");
    std::sort(seen.begin(), seen.end());
    CHECK_THAT(seen == (std::vector<std::string>{"result 0", "result 1", "result 2"}),
               task_says(kind, "as_completed() of done inputs gives each outcome once"));
  }
}

LOOPCERT_CASE("coroutines.as_completed.timeout_raises_for_the_rest", clauses("AS-COMPLETED-TIMEOUT")) {
  for (auto kind : kBothKinds) {
    auto loop = ctx.new_loop();
    Future<int> quick = new_future<int>(kind, *loop);
    Future<int> never = new_future<int>(kind, *loop);
    Future<int> never_either = new_future<int>(kind, *loop);
    const double timeout = 0.02;
    Task<std::vector<std::string>> reader =
        start_task(kind, *loop, await_each({never, quick, never_either}, timeout));
    loop->call_soon([quick] { quick.set_result(3); });
    auto seen = ctx.run_until_complete(*loop, reader, "as_completed() with a timeout");
    REQUIRE_EQUAL(seen.size(), std::size_t{3}, task_says(kind, "one value per input"));
    CHECK_EQUAL(seen[0], std::string("result 3"), task_says(kind, "the input done in time comes first"));
    for (int i = 1; i < 3; ++i) {
      bool timed_out = seen[i].rfind("TimeoutError after ", 0) == 0;
      CHECK_THAT(timed_out, task_says(kind, "after the timeout, the next values raise TimeoutError (got " +
                                                seen[i] + ")"));
      if (timed_out) {
        double after = std::stod(seen[i].substr(std::string("TimeoutError after ").size()));
        CHECK_THAT(after >= timeout - ctx.clock_resolution(),
                   task_says(kind, conformance::str("TimeoutError after ", after,
                                                    " s: not before the timeout less the clock resolution")));
      }
    }
  }
}
