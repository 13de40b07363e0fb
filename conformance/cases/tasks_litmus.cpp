// The scheduler on the loop under test (PEP 3156, "Interoperability" and
// "The Scheduler"): "the standard scheduler implementation should work with
// any conforming event loop implementation. (In fact this is an important
// litmus test for conforming implementations.)" The Task and Future
// classes use "only the public interface of the event loop", so they run
// over any loop seen through that interface alone; and run_until_complete()
// takes a Future or a coroutine alike.
#include <netdb.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/library_support.hpp"

using namespace pep3156;

namespace {

Coroutine<int> after(double delay, int value) {
  co_await sleep(delay);
  co_return value;
}

Coroutine<int> suppresses_cancellation(Future<int> never) {
  try {
    co_await never;
  } catch (const CancelledError&) {
  }
  co_return 100;
}

/// A small program that uses every piece of the scheduler; returns what it
/// saw, one word per piece, for the case to compare.
Coroutine<std::string> scheduler_program() {
  AbstractEventLoop& loop = co_await this_loop();
  std::string seen;

  std::vector<Awaitable<int>> sleepers;
  sleepers.emplace_back(after(0.003, 1));
  sleepers.emplace_back(after(0.001, 2));
  sleepers.emplace_back(after(0.002, 3));
  std::vector<int> gathered = co_await gather(std::move(sleepers), &loop);
  seen += gathered == std::vector<int>{1, 2, 3} ? "gather " : "gather-WRONG ";

  Future<int> by_timer = loop.create_future<int>();
  loop.call_later(0.001, [by_timer] { by_timer.set_result(7); });
  seen += co_await by_timer == 7 ? "future " : "future-WRONG ";

  Future<int> never = loop.create_future<int>();
  try {
    co_await wait_for<int>(shield<int>(never), 0.005);
    seen += "wait_for-WRONG ";
  } catch (const TimeoutError&) {
    seen += !never.cancelled() ? "wait_for+shield " : "shield-WRONG ";
  }

  Task<int> stubborn = loop.create_task(suppresses_cancellation(never));
  std::vector<Awaitable<int>> racers;
  racers.emplace_back(stubborn);
  racers.emplace_back(after(0.001, 4));
  WaitResult<int> first = co_await wait(std::move(racers), {.return_when = FIRST_COMPLETED});
  seen += first.done.size() == 1 && first.done[0].result() == 4 ? "wait " : "wait-WRONG ";

  stubborn.cancel();
  int stubborn_result = co_await stubborn;
  seen += stubborn_result == 100 && !stubborn.cancelled() ? "cancel" : "cancel-WRONG";
  co_return seen;
}

constexpr const char* kEverythingRight = "gather future wait_for+shield wait cancel";

Coroutine<int> returns_after_yield(int value) {
  co_await yield_now();
  co_return value;
}
Coroutine<void> yields_once() { co_await yield_now(); }
Coroutine<int> throws_after_yield() {
  co_await yield_now();
  throw std::logic_error("from the coroutine");
}

Coroutine<std::string> awaits_lookup(Future<std::vector<AddrInfo>> lookup) {
  std::vector<AddrInfo> found = co_await lookup;
  co_return found.empty() ? std::string("nothing") : found.front().address.host();
}

}  // namespace

LOOPCERT_CASE("tasks.litmus.standard_scheduler_over_the_public_interface",
              clauses("TIER-SCHEDULER-PUBLIC-API-ONLY", "TIER-SCHEDULER-LITMUS")) {
  // ForwardingEventLoop passes only the public interface through, and its
  // create_future() and create_task() are the standard ones: this is the
  // standard scheduler on the loop under test, and nothing else.
  auto loop = ctx.new_loop();
  auto seen_through = std::make_shared<ForwardingEventLoop>(loop);
  conformance::Watch guard = ctx.watch("the scheduler program, through the public interface");
  CHECK_EQUAL(seen_through->run_until_complete(scheduler_program()), std::string(kEverythingRight),
              "the standard Future, Task and helpers work over the loop's public interface");
}

LOOPCERT_CASE("tasks.litmus.standard_task_on_the_loop",
              clauses("TIER-SCHEDULER-LITMUS", "TIER-SCHEDULER-PUBLIC-API-ONLY")) {
  auto loop = ctx.new_loop();
  Task<std::string> task =
      library_support::start_task(library_support::Kind::standard, *loop, scheduler_program());
  CHECK_EQUAL(ctx.run_until_complete(*loop, task, "the scheduler program in a StandardTask"),
              std::string(kEverythingRight), "the standard Task runs the scheduler program on the loop");
}

LOOPCERT_CASE("tasks.litmus.loops_own_task", clauses("TIER-SCHEDULER-LITMUS", "LOOP-CREATE-TASK")) {
  auto loop = ctx.new_loop();
  Task<std::string> task = loop->create_task(scheduler_program());
  CHECK_EQUAL(ctx.run_until_complete(*loop, task, "the scheduler program in the loop's own Task"),
              std::string(kEverythingRight), "the loop's own Task runs the scheduler program");
}

LOOPCERT_CASE("tasks.run_until_complete.future_task_or_coroutine", clauses("TIER-ACCEPT-CORO-AND-FUTURE")) {
  // PEP 3156: methods "documented as accepting coroutine arguments *must*
  // accept both Futures and coroutines for such arguments."
  auto loop = ctx.new_loop();
  conformance::Watch guard = ctx.watch("run_until_complete() of a coroutine, a Task and a Future");
  CHECK_EQUAL(loop->run_until_complete(returns_after_yield(1)), 1, "run_until_complete() takes a coroutine");
  loop->run_until_complete(yields_once());  // and a coroutine returning nothing
  CHECK_EQUAL(loop->run_until_complete(loop->create_task(returns_after_yield(2))), 2,
              "run_until_complete() takes a Task");
  Future<int> future = loop->create_future<int>();
  loop->call_soon([future] { future.set_result(3); });
  CHECK_EQUAL(loop->run_until_complete(future), 3, "run_until_complete() takes a Future");
}

LOOPCERT_CASE("tasks.run_until_complete.coroutine_exception_raised", clauses("TIER-ACCEPT-CORO-AND-FUTURE")) {
  auto loop = ctx.new_loop();
  conformance::Watch guard = ctx.watch("run_until_complete() of a failing coroutine");
  ctx.expect_throw<std::logic_error>([&] { loop->run_until_complete(throws_after_yield()); },
                                     "run_until_complete() of a coroutine that throws raises its exception");
}

LOOPCERT_CASE("tasks.coroutine_or_future_return.awaited_either_way",
              clauses("TIER-CORO-OR-FUTURE-RETURN").tolerance()) {
  // A method "returning a coroutine" may return a Future or a coroutine
  // (here always a Future<T>, decision D-TIER-2, which may be a Task): the
  // kit awaits it from a coroutine and runs it with run_until_complete(),
  // and accepts either kind behind it.
  auto loop = ctx.new_loop();
  GetAddrInfoOptions numeric{.family = AF_INET, .type = SOCK_STREAM, .flags = AI_NUMERICHOST};
  conformance::Watch guard = ctx.watch("getaddrinfo() of a numeric address");
  std::vector<AddrInfo> direct = loop->run_until_complete(loop->getaddrinfo("127.0.0.1", "80", numeric));
  CHECK_THAT(!direct.empty() && direct.front().address.host() == "127.0.0.1",
             "run_until_complete() of what getaddrinfo() returns gives the addresses");
  std::string awaited =
      loop->run_until_complete(awaits_lookup(loop->getaddrinfo("127.0.0.1", "80", numeric)));
  CHECK_EQUAL(awaited, std::string("127.0.0.1"),
              "a coroutine awaiting what getaddrinfo() returns gets the addresses");
}
