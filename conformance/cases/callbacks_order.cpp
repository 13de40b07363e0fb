// The order of call_soon() callbacks and where its guarantee ends (PEP 3156,
// "Basic Callbacks"; decision D-CB-5): call_soon() is FIFO; a timer due
// now, call_later(0), is not a call_soon() and may run before or after the
// callbacks around it.
#include <algorithm>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("callbacks.call_soon.fifo_thousand", clauses("LOOP-CALLSOON-FIFO")) {
  constexpr int kCallbacks = 1000;
  auto loop = ctx.new_loop();
  std::vector<int> order;
  order.reserve(kCallbacks);
  for (int i = 0; i < kCallbacks; ++i) loop->call_soon([&order, i] { order.push_back(i); });
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "a thousand call_soon() callbacks");
  bool in_order = order.size() == kCallbacks;
  for (int i = 0; in_order && i < kCallbacks; ++i) in_order = order[i] == i;
  CHECK_THAT(in_order, "a thousand call_soon() callbacks run in the order they were scheduled");
}

LOOPCERT_CASE("callbacks.call_soon.fifo_across_callback_kinds", clauses("LOOP-CALLSOON-FIFO")) {
  // call_soon() from a timer callback and from call_soon() callbacks: the
  // order of the call_soon() calls is the order of the runs, whatever kind
  // of callback made them.
  auto loop = ctx.new_loop();
  std::vector<std::string> order;
  auto record = [&order](std::string name) { return [&order, name] { order.push_back(name); }; };
  loop->call_later(0.001, [&] {
    loop->call_soon(record("t1"));
    loop->call_soon(record("t2"));
    loop->call_soon([&] {
      loop->call_soon(record("n1"));
      loop->call_soon(record("n2"));
      loop->call_soon([&] { loop->stop(); });
    });
    loop->call_soon(record("t3"));
  });
  ctx.run_forever(*loop, "call_soon() from a timer and from the callbacks it scheduled");
  CHECK_THAT(order == (std::vector<std::string>{"t1", "t2", "t3", "n1", "n2"}),
             "call_soon() callbacks run in the order of the call_soon() calls, whoever made them");
}

LOOPCERT_CASE("callbacks.call_soon.waits_for_the_loop", clauses("LOOP-CALLSOON-SCHEDULES")) {
  // Scheduled before the loop runs, nothing runs until it does: not during
  // other loop methods, not on another thread.
  auto loop = ctx.new_loop();
  int ran = 0;
  for (int i = 0; i < 3; ++i) loop->call_soon([&] { ++ran; });
  loop->call_later(0.0, [&] { ++ran; });
  loop->time();
  TimerHandle unused = loop->call_at(loop->time() + 10, [] {});
  unused.cancel();
  CHECK_EQUAL(ran, 0, "callbacks scheduled before the loop runs wait for it");
  conformance::stop_when(*loop, [&] { return ran == 4; });
  ctx.run_forever(*loop, "the four callbacks scheduled before the run");
  CHECK_EQUAL(ran, 4, "they all run once the loop runs");
}

LOOPCERT_CASE("callbacks.order.call_later_zero_and_call_soon",
              clauses("LOOP-CALLLATER-SAME-TIME-UNORDERED").tolerance()) {
  // The seed draft's "delay <= 0 acts like call_soon()" is gone: call_later(0)
  // may run before or after call_soon() callbacks scheduled around it. Every
  // interleaving passes; each runs once, and the call_soon() ones keep
  // their own order.
  auto loop = ctx.new_loop();
  std::vector<std::string> ran;
  loop->call_soon([&] { ran.push_back("soon1"); });
  loop->call_later(0.0, [&] { ran.push_back("later0"); });
  loop->call_soon([&] { ran.push_back("soon2"); });
  loop->call_later(-1.0, [&] { ran.push_back("later-1"); });
  loop->call_soon([&] { ran.push_back("soon3"); });
  conformance::stop_when(*loop, [&] { return ran.size() >= 5; });
  ctx.run_forever(*loop, "call_soon() and call_later(0) callbacks");
  std::vector<std::string> soon;
  std::copy_if(ran.begin(), ran.end(), std::back_inserter(soon),
               [](const std::string& s) { return s.starts_with("soon"); });
  CHECK_THAT(soon == (std::vector<std::string>{"soon1", "soon2", "soon3"}),
             "the call_soon() callbacks keep their order, wherever the timers fall");
  CHECK_EQUAL(ran.size(), std::size_t{5}, "each callback runs once");
}
