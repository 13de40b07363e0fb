// Basic callbacks (PEP 3156, "Basic Callbacks", "Callback Style",
// "Handles") and the strict serialisation of every callback.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("callbacks.call_soon.fifo_order", clauses("LOOP-CALLSOON-FIFO")) {
  auto loop = ctx.new_loop();
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) loop->call_soon([&order, i] { order.push_back(i); });
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "ten call_soon() callbacks and then stop()");
  CHECK_THAT(order == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
             "call_soon() callbacks run in the order in which they were scheduled");
}

LOOPCERT_CASE("callbacks.call_soon.fifo_across_iterations", clauses("LOOP-CALLSOON-FIFO")) {
  // A callback scheduled by a running callback comes after every callback
  // scheduled before it, including those still waiting in the same batch.
  auto loop = ctx.new_loop();
  std::vector<std::string> order;
  loop->call_soon([&] {
    order.push_back("a");
    loop->call_soon([&] {
      order.push_back("c");
      loop->call_soon([&] { loop->stop(); });
    });
  });
  loop->call_soon([&] { order.push_back("b"); });
  ctx.run_forever(*loop, "callbacks that schedule more callbacks");
  CHECK_THAT(order == (std::vector<std::string>{"a", "b", "c"}),
             "a callback scheduled from a callback runs after those scheduled before it");
}

LOOPCERT_CASE("callbacks.call_soon.schedules_not_calls", clauses("LOOP-CALLSOON-SCHEDULES")) {
  auto loop = ctx.new_loop();
  bool outside = false;
  bool inside = false;
  bool inside_ran_during_call_soon = false;
  loop->call_soon([&] { outside = true; });
  CHECK_THAT(!outside, "call_soon() returns before its callback runs");
  loop->call_soon([&] {
    loop->call_soon([&] { inside = true; });
    inside_ran_during_call_soon = inside;
    loop->call_soon([&] { loop->stop(); });
  });
  ctx.run_forever(*loop, "call_soon() callbacks, one scheduling another");
  CHECK_THAT(!inside_ran_during_call_soon,
             "call_soon() from inside a callback returns before its callback runs");
  CHECK_THAT(outside && inside, "every scheduled callback runs once the loop runs");
}

namespace {
void record_arguments(std::vector<std::string>* seen, std::string text, int number) {
  seen->push_back(text + "/" + std::to_string(number));
}
}  // namespace

LOOPCERT_CASE("callbacks.call_soon.positional_arguments", clauses("TIER-CALLBACK-POSITIONAL-ARGS")) {
  // PEP 3156: "to arrange for foo("abc", 42) to be called soon, you call
  // loop.call_soon(foo, "abc", 42)".
  auto loop = ctx.new_loop();
  std::vector<std::string> seen;
  loop->call_soon(record_arguments, &seen, std::string("abc"), 42);
  loop->call_later(0.0, record_arguments, &seen, std::string("def"), 7);
  loop->call_soon_threadsafe(record_arguments, &seen, std::string("ghi"), -1);
  conformance::stop_when(*loop, [&] { return seen.size() >= 3; });
  ctx.run_forever(*loop, "callbacks with positional arguments");
  std::sort(seen.begin(), seen.end());
  CHECK_THAT(seen == (std::vector<std::string>{"abc/42", "def/7", "ghi/-1"}),
             "each callback is called with exactly the positional arguments it was scheduled with");
}

LOOPCERT_CASE("callbacks.handle.cancel_prevents_call",
              clauses("LOOP-CALLSOON-HANDLE", "HANDLE-CANCEL", "HANDLE-RETURNED")) {
  auto loop = ctx.new_loop();
  int cancelled_calls = 0;
  Handle early = loop->call_soon([&] { ++cancelled_calls; });
  REQUIRE_THAT(static_cast<bool>(early), "call_soon() returns a Handle");
  early.cancel();
  // Cancelled by a callback that runs before it, in the same batch.
  Handle later;
  loop->call_soon([&] { later.cancel(); });
  later = loop->call_soon([&] { ++cancelled_calls; });
  bool kept = false;
  loop->call_soon([&] { kept = true; });
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "call_soon() callbacks, two of them cancelled");
  CHECK_EQUAL(cancelled_calls, 0, "a Handle cancelled before its callback runs prevents the call");
  CHECK_THAT(kept, "cancelling one Handle leaves the other callbacks alone");
}

LOOPCERT_CASE("callbacks.serialized.no_overlap",
              clauses("LOOP-CALLBACKS-SERIALIZED", "LOOP-MUTEX-ALL-CALLBACK-KINDS")) {
  // While a callback runs, callbacks of every kind become due: a
  // call_soon_threadsafe() from another thread, a timer, a call_soon().
  // None may start before the running one returns.
  auto loop = ctx.new_loop();
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  std::atomic<int> ran{0};
  std::atomic<bool> posted{false};
  auto observe = [&] {
    if (inside.load()) ++overlaps;
    ++ran;
  };
  std::thread poster;
  loop->call_soon([&] {
    inside = true;
    poster = std::thread([&] {
      loop->call_soon_threadsafe(observe);
      posted = true;
    });
    loop->call_later(0.0, observe);
    loop->call_soon(observe);
    // Stay inside this callback until the other thread's post returned, so
    // that a loop running it on that thread is caught in the act. A loop
    // may make the poster wait for this callback; then give up waiting.
    auto give_up =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(ctx.watchdog_seconds() / 4);
    while (!posted && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    inside = false;
  });
  conformance::stop_when(*loop, [&] { return ran.load() >= 3; });
  ctx.run_forever(*loop, "callbacks of three kinds scheduled while another callback runs");
  ctx.join(poster, "the thread that posted with call_soon_threadsafe()");
  CHECK_EQUAL(overlaps.load(), 0, "no callback starts while another callback of the same loop is running");
}
