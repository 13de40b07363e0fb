// Probe 6, cross-thread wake-up: the loop sleeps in its poller (no timer,
// no ready callback); another thread calls call_soon_threadsafe(). The
// latency runs from just before the post to the first line of the
// callback. Counters p50_us and p99_us.
//
// Baseline: a thread blocked in epoll_wait() on an eventfd, woken by a
// write() to it from another thread; up to epoll_wait()'s return.
//
// Before each sample the poster waits until the other thread sleeps in the
// kernel (state S in /proc/self/task/TID/stat): that is the state being
// measured, and nothing else would tell without changing the loop.
#include "wake_up.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "loop_thread.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"

namespace loopbench {

namespace {

/// The scheduler state of thread `tid` of this process ('R', 'S', ...).
char thread_state(pid_t tid) {
  Fd stat(::open(("/proc/self/task/" + std::to_string(tid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  char text[512];
  ssize_t n = stat.get() < 0 ? -1 : ::read(stat.get(), text, sizeof text - 1);
  if (n <= 0) return '?';
  text[n] = '\0';
  // "tid (comm) S ...": comm may hold spaces and parentheses, the state
  // follows the last ')'.
  std::string_view line(text, static_cast<std::size_t>(n));
  std::size_t close = line.rfind(')');
  return close != std::string_view::npos && close + 2 < line.size() ? line[close + 2] : '?';
}

}  // namespace

benchmark::internal::Benchmark* wake_up_probe(const char* variant, void (*body)(benchmark::State&)) {
  return probe(("wake_up/" + std::string(variant)).c_str(), body)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

bool wait_until_sleeping(const std::atomic<pid_t>& tid) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < give_up) {
    pid_t id = tid.load(std::memory_order_acquire);
    if (id != 0 && thread_state(id) == 'S') return true;
    ::sched_yield();
  }
  return false;
}

SleeperThread::SleeperThread(std::function<void()> body)
    : thread_([this, body = std::move(body)] {
        tid_.store(::gettid(), std::memory_order_release);
        body();
      }) {}

namespace {

void wake_up_loop(benchmark::State& state) {
  FreshLoop loop;
  Stamp started;
  LoopThread running(*loop);
  sample_wake_ups(state, running.tid(), started,
                  [&] { loop->call_soon_threadsafe([&started] { started.set(monotonic_ns()); }); });
}

void wake_up_baseline(benchmark::State& state) {
  Fd wake = make_eventfd();
  Fd epoll = make_epoll();
  epoll_watch(epoll.get(), wake.get());
  Stamp woke;
  std::atomic<bool> done{false};
  std::uint64_t one = 1;
  SleeperThread waiter([&] {
    epoll_event event;
    while (!done.load(std::memory_order_acquire)) {
      if (::epoll_wait(epoll.get(), &event, 1, -1) != 1) continue;  // EINTR
      std::int64_t now = monotonic_ns();
      std::uint64_t count;
      if (::read(wake.get(), &count, sizeof count) < 0) continue;
      woke.set(now);
    }
  });
  sample_wake_ups(state, waiter.tid(), woke, [&] { write_all(wake.get(), &one, sizeof one); });
  done.store(true, std::memory_order_release);
  write_all(wake.get(), &one, sizeof one);
}

}  // namespace

void register_wake_up() {
  wake_up_probe("loop", wake_up_loop);
  wake_up_probe("baseline", wake_up_baseline);
}

}  // namespace loopbench
