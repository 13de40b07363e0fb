// call_soon_threadsafe() (PEP 3156, "Thread interaction"; decisions D-THR-1
// and D-CB-5): "the *only* method that is safe to call from another
// thread", callable from many threads at once, FIFO per posting thread, and
// it "unblocks the event loop" each time it is blocked waiting for I/O.
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::str;

namespace {
/// Threads that post all at once: started from a callback of the running
/// loop, each waits until all exist, then calls post(thread, i) for each i.
class Posters {
 public:
  void start(int threads, int posts, std::function<void(int thread, int i)> post) {
    post_ = std::move(post);
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, t, posts] {
        while (!go_.load()) std::this_thread::yield();
        for (int i = 0; i < posts; ++i) post_(t, i);
      });
    }
    go_ = true;
  }
  void join(conformance::Context& ctx) {
    for (auto& thread : threads_) conformance::join(ctx, thread, "a posting thread");
  }

 private:
  std::function<void(int, int)> post_;
  std::atomic<bool> go_{false};
  std::vector<std::jthread> threads_;
};
}  // namespace

LOOPCERT_CASE("threads.call_soon_threadsafe.each_once_from_many_threads",
              clauses("LOOP-THREADSAFE-ONLY", "LOOP-THREADSAFE-HANDLE")) {
  // Four threads post 500 callbacks each, all at once, while the loop runs
  // and drains them: every callback runs exactly once.
  constexpr int kThreads = 4;
  constexpr int kPosts = 500;
  auto loop = ctx.new_loop();
  auto runs = std::make_unique<std::atomic<int>[]>(kThreads * kPosts);
  std::atomic<int> total{0};
  std::atomic<int> empty_handles{0};
  Posters posters;
  loop->call_soon([&] {
    posters.start(kThreads, kPosts, [&](int t, int i) {
      Handle handle = loop->call_soon_threadsafe([&, slot = t * kPosts + i] {
        ++runs[slot];
        ++total;
      });
      if (!handle) ++empty_handles;
    });
  });
  conformance::stop_when(*loop, [&] { return total.load() >= kThreads * kPosts; });
  ctx.run_forever(*loop, "2000 callbacks posted by four threads at once");
  posters.join(ctx);
  // Let a callback that would run twice do so.
  loop->call_later(0.002, [&] { loop->stop(); });
  ctx.run_forever(*loop, "a last timer");
  int wrong = 0;
  for (int slot = 0; slot < kThreads * kPosts; ++slot) wrong += runs[slot].load() != 1;
  CHECK_EQUAL(wrong, 0, "every callback posted concurrently from several threads runs exactly once");
  CHECK_EQUAL(empty_handles.load(), 0, "call_soon_threadsafe() returns a Handle on every thread");
}

LOOPCERT_CASE("threads.call_soon_threadsafe.fifo_per_thread",
              clauses("LOOP-CALLSOON-FIFO", "LOOP-THREADSAFE-ONLY")) {
  // "Like call_soon()": the callbacks one thread posts run in the order it
  // posted them, however they interleave with another thread's.
  constexpr int kThreads = 2;
  constexpr int kPosts = 500;
  auto loop = ctx.new_loop();
  std::vector<std::vector<int>> seen(kThreads);
  std::atomic<int> total{0};
  Posters posters;
  loop->call_soon([&] {
    posters.start(kThreads, kPosts, [&](int t, int i) {
      loop->call_soon_threadsafe([&, t, i] {
        seen[t].push_back(i);
        ++total;
      });
    });
  });
  conformance::stop_when(*loop, [&] { return total.load() >= kThreads * kPosts; });
  ctx.run_forever(*loop, "two threads posting 500 callbacks each");
  posters.join(ctx);
  for (int t = 0; t < kThreads; ++t) {
    bool in_order = seen[t].size() == kPosts;
    for (int i = 0; in_order && i < kPosts; ++i) in_order = seen[t][i] == i;
    CHECK_THAT(in_order, str("the callbacks thread ", t, " posted run in the order it posted them"));
  }
}

LOOPCERT_CASE("threads.call_soon_threadsafe.wakes_repeatedly", clauses("LOOP-THREADSAFE-WAKEUP")) {
  // Twenty times: the loop falls asleep, another thread posts, the loop
  // wakes and runs the callback. A wake-up that works once (a self-pipe
  // never drained, an edge never re-armed) leaves the loop asleep later.
  constexpr int kRounds = 20;
  auto loop = ctx.new_loop();
  std::atomic<int> ran{0};
  std::jthread poster;
  loop->call_soon([&] {
    poster = std::jthread([&] {
      for (int round = 0; round < kRounds; ++round) {
        ctx.wait_until_loop_blocked();
        loop->call_soon_threadsafe([&] {
          if (++ran == kRounds) loop->stop();
          ran.notify_all();
        });
        ran.wait(round);  // until this round's callback ran
      }
    });
  });
  ctx.run_forever(*loop, "twenty callbacks posted one at a time while the loop sleeps");
  conformance::join(ctx, poster, "the posting thread");
  CHECK_EQUAL(ran.load(), kRounds, "each posted callback woke the loop and ran");
}

LOOPCERT_CASE("threads.call_soon_threadsafe.wakes_despite_far_timer", clauses("LOOP-THREADSAFE-WAKEUP")) {
  // The loop sleeps until a timer a minute away: the post must cut that
  // sleep short (the watchdog fails the case long before the timer).
  auto loop = ctx.new_loop();
  bool far_ran = false;
  TimerHandle far = loop->call_later(60.0, [&] { far_ran = true; });
  std::atomic<bool> woke{false};
  std::jthread poster;
  loop->call_soon([&] {
    poster = std::jthread([&] {
      ctx.wait_until_loop_blocked();
      loop->call_soon_threadsafe([&] {
        woke = true;
        loop->stop();
      });
    });
  });
  ctx.run_forever(*loop, "call_soon_threadsafe() to wake a loop waiting for a timer a minute away");
  conformance::join(ctx, poster, "the posting thread");
  far.cancel();
  CHECK_THAT(woke.load() && !far_ran, "the posted callback ran long before the far timer");
}

LOOPCERT_CASE("threads.call_soon_threadsafe.schedules_not_calls",
              clauses("LOOP-CALLSOON-SCHEDULES", "LOOP-THREADSAFE-HANDLE")) {
  // Posted before the loop runs (from another thread) or from the loop's
  // own thread, the callback is scheduled, not called, and runs once the
  // loop runs.
  auto loop = ctx.new_loop();
  std::atomic<int> ran{0};
  std::jthread early([&] { loop->call_soon_threadsafe([&] { ++ran; }); });
  conformance::join(ctx, early, "a post before the loop runs");
  CHECK_EQUAL(ran.load(), 0, "a callback posted before the loop runs waits for it");
  bool ran_inside_call = true;
  loop->call_soon([&] {
    int before = ran.load();
    Handle handle = loop->call_soon_threadsafe([&] { ++ran; });
    ran_inside_call = ran.load() != before;
    CHECK_THAT(static_cast<bool>(handle), "call_soon_threadsafe() from the loop's thread returns a Handle");
  });
  conformance::stop_when(*loop, [&] { return ran.load() == 2; });
  ctx.run_forever(*loop, "the two posted callbacks");
  CHECK_THAT(!ran_inside_call, "call_soon_threadsafe() from a callback returns before its callback runs");
}
