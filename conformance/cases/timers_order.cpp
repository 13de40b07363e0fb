// The order of timers, and their cancellation (PEP 3156, "Basic Callbacks"
// and "Handles"; decisions D-CB-5, D-HANDLE-2, D-HANDLE-3).
//
// "Callbacks scheduled in the past or at exactly the same time will be
// called in an undefined order": timers due at different times in the
// future run in the order of their deadlines, and nothing else about timer
// order is assumed.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::str;

LOOPCERT_CASE("timers.order.by_deadline", clauses("LOOP-CALLAT-EQUIV", "LOOP-CALLLATER-ONCE")) {
  // Twenty timers 1 ms apart, scheduled out of order, half with call_at()
  // and half with call_later().
  constexpr int kTimers = 20;
  auto loop = ctx.new_loop();
  std::vector<int> ran;
  // call_later(delay) is due at the loop's time() when it is called, plus
  // delay: somewhere between the time() read before the call and the one
  // read after. On a loaded machine the two may be milliseconds apart, so
  // the case holds the loop only to the order of deadlines it knows apart.
  struct Deadline {
    double earliest;
    double latest;
  };
  std::vector<Deadline> deadlines(kTimers);
  double base = loop->time();
  for (int i = 0; i < kTimers; ++i) {
    int slot = (i * 7) % kTimers;  // 0, 7, 14, 1, 8, ...: every slot once
    double when = base + 0.002 + slot * 0.001;
    auto record = [&ran, slot] { ran.push_back(slot); };
    if (i % 2 == 0) {
      loop->call_at(when, record);
      deadlines[slot] = {when, when};
    } else {
      double before = loop->time();
      loop->call_later(when - before, record);
      deadlines[slot] = {when, when + (loop->time() - before)};
    }
  }
  // At least (not exactly) twenty: a timer run twice shows below, instead
  // of keeping the loop running until the watchdog.
  conformance::stop_when(*loop, [&] { return ran.size() >= kTimers; });
  ctx.run_forever(*loop, "twenty timers 1 ms apart");
  std::vector<int> each_once = ran;
  std::sort(each_once.begin(), each_once.end());
  std::vector<int> slots(kTimers);
  for (int i = 0; i < kTimers; ++i) slots[i] = i;
  CHECK_THAT(each_once == slots, "each timer runs once");
  std::string order;
  for (std::size_t first = 0; first < ran.size(); ++first) {
    for (std::size_t then = first + 1; then < ran.size(); ++then) {
      if (deadlines[ran[then]].latest < deadlines[ran[first]].earliest)
        order += conformance::str(" slot ", ran[then], " ran after slot ", ran[first], ";");
    }
  }
  CHECK_EQUAL(order, std::string(), "timers due at different times run in the order of their deadlines");
}

LOOPCERT_CASE("timers.call_later.chain_from_timers", clauses("LOOP-CALLLATER-ONCE")) {
  // Each timer schedules the next from inside its callback.
  auto loop = ctx.new_loop();
  struct Link {
    AbstractEventLoop* loop;
    int left;
    std::vector<double>* early;
    double when;
    void operator()() const {
      early->push_back(when - loop->time());
      if (left == 0) {
        loop->stop();
        return;
      }
      double next = loop->time() + 0.0013;
      loop->call_at(next, Link{loop, left - 1, early, next});
    }
  };
  std::vector<double> early;
  double first = loop->time() + 0.0013;
  loop->call_at(first, Link{loop.get(), 5, &early, first});
  ctx.run_forever(*loop, "six timers, each scheduled by the one before");
  CHECK_EQUAL(early.size(), std::size_t{6}, "every timer of the chain ran once");
  for (double e : early) {
    CHECK_THAT(
        e <= ctx.clock_resolution(),
        str("a timer scheduled from a timer runs no earlier than its deadline (", e * 1e6, " us early)"));
  }
}

LOOPCERT_CASE("timers.cancel.by_an_earlier_timer", clauses("LOOP-CALLAT-HANDLE", "HANDLE-CANCEL")) {
  // Deadlines from one reading of the clock, 50 ms apart: a case process
  // descheduled between two calls must not reorder them, nor put both in
  // the past (where their order is undefined, LOOP-CALLLATER-SAME-TIME-UNORDERED).
  auto loop = ctx.new_loop();
  int cancelled_runs = 0;
  double now = loop->time();
  TimerHandle victim = loop->call_at(now + 0.10, [&] { ++cancelled_runs; });
  loop->call_at(now + 0.05, [&] { victim.cancel(); });
  loop->call_at(now + 0.15, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a timer cancelling a later one, then a last timer");
  CHECK_EQUAL(cancelled_runs, 0, "a timer cancelled by an earlier timer never runs");
}

LOOPCERT_CASE("timers.cancel.half_of_many", clauses("LOOP-CALLLATER-HANDLE", "LOOP-CALLLATER-ONCE")) {
  constexpr int kTimers = 200;
  auto loop = ctx.new_loop();
  std::vector<int> runs(kTimers, 0);
  std::vector<TimerHandle> handles;
  for (int i = 0; i < kTimers; ++i) {
    handles.push_back(loop->call_later(0.0001 * (i % 37), [&runs, i] { ++runs[i]; }));
  }
  for (int i = 1; i < kTimers; i += 2) handles[i].cancel();
  loop->call_later(0.01, [&] { loop->stop(); });
  ctx.run_forever(*loop, "200 timers over 3.6 ms, half of them cancelled, and a last one at 10 ms");
  int wrong = 0;
  for (int i = 0; i < kTimers; ++i) wrong += runs[i] != (i % 2 == 0 ? 1 : 0);
  CHECK_EQUAL(wrong, 0, "each timer kept runs exactly once and each timer cancelled never runs");
}

LOOPCERT_CASE("timers.cancel.posted_from_another_thread",
              clauses("LOOP-CALLLATER-HANDLE", "LOOP-THREADSAFE-ONLY")) {
  // Handle.cancel() is called on the loop's thread: another thread posts it
  // with call_soon_threadsafe() (decision D-HANDLE-2).
  auto loop = ctx.new_loop();
  int cancelled_runs = 0;
  TimerHandle victim = loop->call_later(0.2, [&] { ++cancelled_runs; });
  std::jthread canceller;
  loop->call_soon([&] {
    canceller = std::jthread([&] {
      loop->call_soon_threadsafe([&] {
        victim.cancel();
        loop->call_later(0.001, [&] { loop->stop(); });
      });
    });
  });
  ctx.run_forever(*loop, "a cancel() posted from another thread");
  conformance::join(ctx, canceller, "the thread that posted cancel()");
  CHECK_EQUAL(cancelled_runs, 0, "a timer cancelled through a posted callback never runs");
}

LOOPCERT_CASE("handles.cancel.after_run_touches_nothing_else",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-CALLSOON-SCHEDULES")) {
  // cancel() on the Handle of a callback that already ran does nothing
  // (decision D-HANDLE-3): in particular it does not cancel a callback
  // scheduled since, which a loop that recycles its timer or queue slots
  // might confuse with it.
  auto loop = ctx.new_loop();
  std::vector<Handle> done;
  int first_runs = 0;
  for (int i = 0; i < 5; ++i) {
    done.push_back(loop->call_soon([&] { ++first_runs; }));
    done.push_back(loop->call_later(0.0, [&] { ++first_runs; }));
  }
  conformance::stop_when(*loop, [&] { return first_runs == 10; });
  ctx.run_forever(*loop, "ten callbacks");
  int second_runs = 0;
  for (int i = 0; i < 5; ++i) {
    loop->call_soon([&] { ++second_runs; });
    loop->call_later(0.0, [&] { ++second_runs; });
  }
  for (const Handle& handle : done) handle.cancel();
  conformance::stop_when(*loop, [&] { return second_runs == 10; });
  ctx.run_forever(*loop, "ten callbacks scheduled after the first ten ran and had their handles cancelled");
  CHECK_EQUAL(first_runs, 10, "the first callbacks ran once each");
  CHECK_EQUAL(second_runs, 10, "cancelling handles of callbacks that already ran cancels nothing else");
}

LOOPCERT_CASE("handles.cancel.own_handle_while_running",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-CALLSOON-HANDLE")) {
  // A callback may cancel its own Handle: it runs on to its end, once.
  auto loop = ctx.new_loop();
  int soon_runs = 0;
  int timer_runs = 0;
  bool soon_finished = false;
  bool timer_finished = false;
  Handle soon;
  TimerHandle timer;
  soon = loop->call_soon([&] {
    ++soon_runs;
    soon.cancel();
    soon_finished = true;
  });
  timer = loop->call_later(0.001, [&] {
    ++timer_runs;
    timer.cancel();
    timer_finished = true;
  });
  loop->call_later(0.005, [&] { loop->stop(); });
  ctx.run_forever(*loop, "callbacks cancelling their own handles");
  CHECK_THAT(soon_runs == 1 && soon_finished,
             "a call_soon() callback cancelling its own Handle runs on, once");
  CHECK_THAT(timer_runs == 1 && timer_finished, "a timer cancelling its own Handle runs on, once");
}

LOOPCERT_CASE("handles.copies_share_the_registration", clauses("HANDLE-OPAQUE", "HANDLE-CANCEL")) {
  // A Handle is an opaque reference to one registration: its copies compare
  // equal, and cancel() through any of them (twice is fine) cancels it.
  auto loop = ctx.new_loop();
  int cancelled_runs = 0;
  Handle original = loop->call_soon([&] { ++cancelled_runs; });
  Handle copy = original;
  TimerHandle timer = loop->call_later(0.001, [&] { ++cancelled_runs; });
  TimerHandle timer_copy = timer;
  CHECK_THAT(copy == original && timer_copy == timer, "copies of a Handle compare equal");
  CHECK_THAT(!(copy == Handle(timer)), "Handles of different registrations differ");
  copy.cancel();
  copy.cancel();
  timer_copy.cancel();
  CHECK_THAT(original.cancelled() && timer.cancelled(), "cancel() through a copy cancels the registration");
  loop->call_later(0.003, [&] { loop->stop(); });
  ctx.run_forever(*loop, "two cancelled callbacks and a last timer");
  CHECK_EQUAL(cancelled_runs, 0, "a registration cancelled through a copy of its Handle never runs");
}
