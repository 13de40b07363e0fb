// A loop with nothing to do keeps running (PEP 3156, "Starting, Stopping
// and Closing"): run_forever() runs "until stop() is called". A loop that
// returns by itself when nothing is scheduled (libuv's uv_run() does, once
// no handle is alive) loses a call_soon_threadsafe() that another thread
// makes later.
#include <atomic>
#include <chrono>
#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

LOOPCERT_CASE("lifecycle.run_forever.idle_until_a_late_post",
              clauses("LOOP-RUNFOREVER-UNTIL-STOP", "LOOP-THREADSAFE-WAKEUP")) {
  // No timer, no reader, no callback: only a thread that posts stop() once
  // the loop has been asleep for 300 ms (the idle time is the subject).
  auto loop = ctx.new_loop();
  std::atomic<bool> posted{false};
  bool stopped_by_post = false;
  std::jthread poster([&] {
    ctx.wait_until_loop_blocked();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    posted = true;
    loop->call_soon_threadsafe([&] {
      stopped_by_post = true;
      loop->stop();
    });
  });
  ctx.run_forever(*loop, "a call_soon_threadsafe(stop) posted after 300 ms of idleness");
  bool returned_before_post = !posted.load();
  conformance::join(ctx, poster, "the thread that posts after 300 ms");
  if (!stopped_by_post) ctx.run_forever(*loop, "the late post, on a loop that had returned by itself");
  CHECK_THAT(!returned_before_post,
             "run_forever() with nothing scheduled keeps waiting until stop(); it does not return by itself");
}
