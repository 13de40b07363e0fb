// Thread interaction (PEP 3156, "Thread interaction"): call_soon_threadsafe
// is the one method another thread may call, and it must wake a loop that
// is blocked waiting for I/O.
#include <atomic>
#include <stdexcept>
#include <thread>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("threads.call_soon_threadsafe.wakes_blocked_loop", clauses("LOOP-THREADSAFE-WAKEUP")) {
  // The loop has nothing to do and no timer: it blocks in its poller. The
  // other thread posts only once it sees the loop's thread asleep, so a loop
  // that queues the callback without waking itself stays asleep, and the
  // watchdog reports it.
  auto loop = ctx.new_loop();
  std::atomic<bool> woke{false};
  std::thread poster;
  loop->call_soon([&] {
    poster = std::thread([&] {
      ctx.wait_until_loop_blocked();
      loop->call_soon_threadsafe([&] {
        woke = true;
        loop->stop();
      });
    });
  });
  ctx.run_forever(*loop,
                  "call_soon_threadsafe() from another thread to wake the loop blocked waiting for I/O");
  ctx.join(poster, "the thread that posted with call_soon_threadsafe()");
  CHECK_THAT(woke.load(), "the callback posted from another thread ran");
}

LOOPCERT_CASE("threads.call_soon_threadsafe.returns_handle",
              clauses("LOOP-THREADSAFE-HANDLE", "HANDLE-RETURNED")) {
  auto loop = ctx.new_loop();
  Handle from_other_thread;
  std::atomic<bool> ran{false};
  std::thread poster([&] { from_other_thread = loop->call_soon_threadsafe([&] { ran = true; }); });
  ctx.join(poster, "call_soon_threadsafe() from another thread to return");
  CHECK_THAT(static_cast<bool>(from_other_thread),
             "call_soon_threadsafe() from another thread returns a Handle");
  int cancelled_calls = 0;
  Handle own = loop->call_soon_threadsafe([&] { ++cancelled_calls; });
  REQUIRE_THAT(static_cast<bool>(own), "call_soon_threadsafe() returns a Handle");
  own.cancel();
  conformance::stop_when(*loop, [&] { return ran.load(); });
  ctx.run_forever(*loop, "callbacks posted with call_soon_threadsafe()");
  CHECK_EQUAL(cancelled_calls, 0, "cancelling call_soon_threadsafe()'s Handle prevents the call");
}

LOOPCERT_CASE("threads.run_in_executor.result", clauses("LOOP-EXECUTOR-RESULT")) {
  auto loop = ctx.new_loop();
  Future<int> answer = loop->run_in_executor(nullptr, [] { return 6 * 7; });
  CHECK_EQUAL(ctx.run_until_complete(*loop, answer, "run_in_executor() to deliver its result"), 42,
              "run_in_executor() returns a Future with the function's result");
  Future<int> failure =
      loop->run_in_executor(nullptr, []() -> int { throw std::domain_error("in the executor"); });
  ctx.expect_throw<std::domain_error>(
      [&] { ctx.run_until_complete(*loop, failure, "run_in_executor() to deliver its exception"); },
      "a function that throws in the executor");
}
