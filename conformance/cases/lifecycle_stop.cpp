// stop() (PEP 3156, "Starting, Stopping and Closing"; decision D-LIFE-2):
// it returns normally, run_forever() returns soon after even while
// callbacks keep the ready queue full, and nothing scheduled is lost. How
// much of the ready queue still runs after stop() is the loop's choice, so
// no case here counts the callbacks that ran after it.
#include <unistd.h>

#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::Spinner;

LOOPCERT_CASE("lifecycle.stop.ping_pong_cannot_keep_running", clauses("LOOP-RUNFOREVER-UNTIL-STOP")) {
  // Two callbacks that schedule each other: the ready queue is never empty.
  auto loop = ctx.new_loop();
  struct Ping {
    AbstractEventLoop* loop;
    int* hops;
    void operator()() const {
      if (++*hops == 50) loop->stop();
      loop->call_soon(Ping{loop, hops});
    }
  };
  int hops = 0;
  loop->call_soon(Ping{loop.get(), &hops});
  loop->call_soon(Ping{loop.get(), &hops});
  ctx.run_forever(*loop,
                  "run_forever() to return after stop() while two callbacks keep scheduling each other");
  CHECK_THAT(hops >= 50, "the callbacks ran until one of them called stop()");
}

LOOPCERT_CASE("lifecycle.stop.from_timer_while_spinning",
              clauses("LOOP-RUNFOREVER-UNTIL-STOP", "LOOP-CALLLATER-ONCE")) {
  // A callback that reschedules itself forever and never stops the loop; a
  // timer does. The timer must get its turn, and stop() from it must end
  // the run although the ready queue is never empty.
  auto loop = ctx.new_loop();
  int spins = 0;
  loop->call_soon(Spinner{loop.get(), &spins});
  bool timer_ran = false;
  loop->call_later(0.005, [&] {
    timer_ran = true;
    loop->stop();
  });
  ctx.run_forever(*loop, "a timer to stop the loop while a callback keeps rescheduling itself");
  CHECK_THAT(timer_ran, "the timer ran although call_soon() callbacks were always ready");
  CHECK_THAT(spins > 0, "the spinning callback ran too");
}

LOOPCERT_CASE("lifecycle.stop.from_other_thread_while_spinning",
              clauses("LOOP-RUNFOREVER-UNTIL-STOP", "LOOP-THREADSAFE-ONLY")) {
  // stop() posted from another thread (with call_soon_threadsafe, the one
  // method another thread may call) while the ready queue is never empty.
  auto loop = ctx.new_loop();
  int spins = 0;
  loop->call_soon(Spinner{loop.get(), &spins});
  std::thread stopper;
  loop->call_soon([&] { stopper = std::thread([&] { loop->call_soon_threadsafe([&] { loop->stop(); }); }); });
  ctx.run_forever(*loop, "stop() posted from another thread while a callback keeps rescheduling itself");
  ctx.join(stopper, "the thread that posted stop()");
  CHECK_THAT(spins > 0, "the spinning callback ran until the posted stop()");
}

LOOPCERT_CASE("lifecycle.stop.twice_returns_normally", clauses("LOOP-STOP-RETURNS-NORMALLY")) {
  auto loop = ctx.new_loop();
  int returned = 0;
  loop->call_soon([&] {
    loop->stop();
    ++returned;
    loop->stop();
    ++returned;
  });
  ctx.run_forever(*loop, "a callback calling stop() twice");
  CHECK_EQUAL(returned, 2, "each stop() returns normally and the callback runs to its end");
}

LOOPCERT_CASE("lifecycle.stop.from_timer_returns_normally",
              clauses("LOOP-STOP-RETURNS-NORMALLY", "LOOP-RUNFOREVER-UNTIL-STOP")) {
  auto loop = ctx.new_loop();
  bool continued = false;
  loop->call_later(0.001, [&] {
    loop->stop();
    continued = true;
  });
  ctx.run_forever(*loop, "a timer calling stop()");
  CHECK_THAT(continued, "stop() from a timer callback returns and the callback continues");
}

LOOPCERT_CASE("lifecycle.stop.pending_timer_runs_next_time", clauses("LOOP-STOP-RESTARTABLE")) {
  // A timer scheduled before stop() and due after it is not lost: it runs,
  // once, in a later run.
  auto loop = ctx.new_loop();
  int fired = 0;
  loop->call_later(0.01, [&] {
    ++fired;
    loop->stop();
  });
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "stop() from the first callback");
  int fired_in_first_run = fired;
  if (fired_in_first_run == 0)
    ctx.run_forever(*loop, "the timer scheduled before stop() to run and stop again");
  CHECK_EQUAL(fired, 1, "a timer pending at stop() runs exactly once over this run and the next");
}

LOOPCERT_CASE("lifecycle.stop.restart_many_times", clauses("LOOP-STOP-RESTARTABLE", "LOOP-STATES")) {
  // Run and stop the same loop again and again: each run does its work.
  auto loop = ctx.new_loop();
  int ran = 0;
  for (int run = 0; run < 20; ++run) {
    loop->call_soon([&] { ++ran; });
    loop->call_soon([&] { loop->stop(); });
    ctx.run_forever(*loop, "one of twenty runs of the same loop");
    CHECK_THAT(!loop->is_running(), "the loop is stopped between runs");
  }
  CHECK_EQUAL(ran, 20, "every run ran the callback scheduled for it");
}

// --- The intention: stop short of polling and of future timers ---------------
// These cases name only the SHOULD clause, so that they stay advisory.

LOOPCERT_CASE("lifecycle.stop.callbacks_scheduled_after_stop_wait",
              clauses("LOOP-STOP-NO-POLL-NO-FUTURE-TIMERS")) {
  // PEP 3156: "the intention is to stop short of polling for I/O". A
  // callback scheduled after stop() was not in the ready queue when the
  // loop was told to stop (the freedom covers only callbacks "already
  // scheduled"): running it means going round the loop again.
  auto loop = ctx.new_loop();
  bool late_ran = false;
  loop->call_soon([&] {
    loop->stop();
    loop->call_soon([&] { late_ran = true; });
  });
  ctx.run_forever(*loop, "a callback that calls stop() and then call_soon()");
  CHECK_THAT(!late_ran, "a callback scheduled after stop() does not run before run_forever() returns");
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "the next run");
  CHECK_THAT(late_ran, "the callback scheduled after stop() runs in the next run");
}

LOOPCERT_CASE("lifecycle.stop.future_timer_does_not_run", clauses("LOOP-STOP-NO-POLL-NO-FUTURE-TIMERS")) {
  // "... and not to run any callbacks scheduled in the future": a loop that
  // waits for its next timer before it stops runs this one.
  auto loop = ctx.new_loop();
  bool timer_ran = false;
  TimerHandle timer = loop->call_later(0.5, [&] { timer_ran = true; });
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "stop() with a timer due in 0.5 s");
  CHECK_THAT(!timer_ran, "a timer due after stop() does not run before run_forever() returns");
  timer.cancel();
}

LOOPCERT_CASE("lifecycle.stop.no_poll_after_stop",
              clauses("LOOP-STOP-NO-POLL-NO-FUTURE-TIMERS").needs(Category::io_callbacks)) {
  // The fd becomes readable only in the callback that calls stop(): its
  // reader runs before run_forever() returns only if the loop polled again.
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  int fd = pair.first.get();
  int reader_calls = 0;
  loop->add_reader(fd, [&] {
    ++reader_calls;
    char byte;
    (void)!::read(fd, &byte, 1);
    loop->stop();
  });
  loop->call_soon([&] {
    conformance::write_all(pair.second.get(), "x", 1);
    loop->stop();
  });
  ctx.run_forever(*loop, "stop() from a callback that made an fd readable");
  CHECK_EQUAL(reader_calls, 0, "the loop does not poll for I/O after stop() (its reader did not run)");
  if (reader_calls == 0) ctx.run_forever(*loop, "the reader to run in the next run");
  loop->remove_reader(fd);
  CHECK_EQUAL(reader_calls, 1, "the reader runs once in the next run");
}
