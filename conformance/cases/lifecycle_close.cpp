// close() and is_closed() (PEP 3156, "Starting, Stopping and Closing";
// decisions D-LIFE-1 and D-LIFE-4). close() releases what the loop holds,
// "such as the file descriptor used by epoll() or kqueue(), and the default
// executor"; closing a running loop and using a closed one are the
// caller's mistakes, so what the loop does then is checked only by
// advisory cases.
#include <memory>
#include <set>
#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::RecordingExecutor;

LOOPCERT_CASE("lifecycle.close.shuts_down_default_executor", clauses("LOOP-CLOSE-RELEASES")) {
  // An executor installed with set_default_executor() is shut down by
  // close(), with wait or without (decision D-LIFE-4), used or not.
  auto used_loop = ctx.new_loop();
  auto used = std::make_shared<RecordingExecutor>();
  used_loop->set_default_executor(used);
  Future<int> work = used_loop->run_in_executor(nullptr, [] { return 1; });
  ctx.run_until_complete(*used_loop, work, "run_in_executor() on the default executor");
  used_loop->close();
  CHECK_THAT(used->shut_down.load(), "close() shuts down the default executor it used");

  auto idle_loop = ctx.new_loop();
  auto idle = std::make_shared<RecordingExecutor>();
  idle_loop->set_default_executor(idle);
  idle_loop->close();
  CHECK_THAT(idle->shut_down.load(), "close() shuts down the default executor even if it was never used");
}

LOOPCERT_CASE("lifecycle.close.releases_descriptors", clauses("LOOP-CLOSE-RELEASES")) {
  // Whatever descriptors the loop opened (its poller, a self-pipe) are
  // closed by close() itself, while the loop object is still referenced.
  std::set<int> before = conformance::open_fds();
  if (before.empty()) ctx.unresolved("/proc/self/fd cannot be read here");
  auto loop = ctx.new_loop();
  // Use what a loop may open lazily: timers, a wake-up from another thread.
  loop->call_later(0.001, [] {});
  std::jthread poster;
  loop->call_soon([&] { poster = std::jthread([&] { loop->call_soon_threadsafe([&] { loop->stop(); }); }); });
  ctx.run_forever(*loop, "a run with a timer and a callback posted from another thread");
  conformance::join(ctx, poster, "the thread that posted stop()");
  loop->close();
  std::set<int> after = conformance::open_fds();
  std::string left;
  for (int fd : after) {
    // Appended: " " + std::to_string() trips GCC 12's -Wrestrict false positive at -O3.
    if (before.count(fd) == 0) left.append(" ").append(std::to_string(fd));
  }
  CHECK_THAT(left.empty(), "close() closes every descriptor the loop opened; still open:" + left);
}

LOOPCERT_CASE("lifecycle.close.after_running", clauses("LOOP-ISCLOSED", "LOOP-CLOSE-IDEMPOTENT")) {
  auto loop = ctx.new_loop();
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "one run");
  CHECK_THAT(!loop->is_closed(), "stopping a loop does not close it");
  Future<int> done = loop->create_future<int>();
  done.set_result(1);
  ctx.run_until_complete(*loop, done, "run_until_complete() of a done Future");
  CHECK_THAT(!loop->is_closed(), "run_until_complete() does not close the loop");
  loop->close();
  CHECK_THAT(loop->is_closed(), "is_closed() is true after close()");
  for (int again = 0; again < 3; ++again) loop->close();
  CHECK_THAT(loop->is_closed(), "further close() calls change nothing");
}

// --- The caller's obligations (advisory) ----------------------------------------

LOOPCERT_CASE("lifecycle.close.refused_while_running", clauses("LOOP-CLOSE-NOT-WHILE-RUNNING")) {
  // "close() should not be called while the event loop is running" binds
  // the caller, not the loop (decision D-LIFE-1): a loop may refuse, or
  // accept and close once the run has ended. Either way it is not broken:
  // one that refuses (as it does any other misuse) goes on with the run,
  // and once the run has ended close() leaves it closed.
  auto loop = ctx.new_loop();
  bool refused = false;
  bool went_on = false;
  loop->call_soon([&] {
    loop->call_soon([&] {
      went_on = true;
      loop->stop();
    });
    try {
      loop->close();
    } catch (const std::exception&) {
      refused = true;
    }
  });
  ctx.run_forever(*loop, "a callback calling close() on its running loop");
  CHECK_THAT(!refused || went_on, "after refusing close(), the loop runs on until stop()");
  loop->close();
  CHECK_THAT(loop->is_closed(), "once the run has ended, close() leaves the loop closed");
}

LOOPCERT_CASE("lifecycle.close.closed_loop_refuses_to_run", clauses("LOOP-CLOSE-NO-REUSE")) {
  // "After it has been called the event loop should not be used again": a
  // closed loop says so (RuntimeError, decision D-LIFE-1) rather than run.
  auto loop = ctx.new_loop();
  loop->close();
  {
    conformance::Watch guard = ctx.watch("run_forever() on a closed loop to raise");
    ctx.expect_throw<std::exception>([&] { loop->run_forever(); }, "run_forever() on a closed loop");
  }
  Future<int> done = loop->create_future<int>();
  done.set_result(1);
  conformance::Watch guard = ctx.watch("run_until_complete() on a closed loop to raise");
  ctx.expect_throw<std::exception>([&] { loop->run_until_complete(done.state()); },
                                   "run_until_complete() on a closed loop");
}

LOOPCERT_CASE("lifecycle.close.closed_loop_refuses_callbacks", clauses("LOOP-CLOSE-NO-REUSE")) {
  auto loop = ctx.new_loop();
  loop->close();
  ctx.expect_throw<std::exception>([&] { loop->call_soon([] {}); }, "call_soon() on a closed loop");
  ctx.expect_throw<std::exception>([&] { loop->call_later(0.0, [] {}); }, "call_later() on a closed loop");
  ctx.expect_throw<std::exception>([&] { loop->call_at(loop->time(), [] {}); }, "call_at() on a closed loop");
  ctx.expect_throw<std::exception>([&] { loop->call_soon_threadsafe([] {}); },
                                   "call_soon_threadsafe() on a closed loop");
}
