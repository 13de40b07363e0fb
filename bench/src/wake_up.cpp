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
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "latency.hpp"
#include "loop_thread.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw.hpp"

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

/// Waits until the thread whose id `tid` holds has started and sleeps;
/// false if it has not within a second (it never blocks).
bool wait_until_sleeping(const std::atomic<pid_t>& tid) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < give_up) {
    pid_t id = tid.load(std::memory_order_acquire);
    if (id != 0 && thread_state(id) == 'S') return true;
    ::sched_yield();
  }
  return false;
}

/// The time the woken side reports, 0 until it does.
class Stamp {
 public:
  void set(std::int64_t ns) noexcept {
    ns_.store(ns, std::memory_order_release);
    ns_.notify_one();
  }
  /// Blocks until set(), then clears it for the next sample.
  std::int64_t take() noexcept {
    ns_.wait(0, std::memory_order_acquire);
    return ns_.exchange(0, std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::int64_t> ns_{0};
};

void wake_up_loop(benchmark::State& state) {
  FreshLoop loop;
  Stamp started;
  LatencySamples latency;
  {
    LoopThread running(*loop);
    for (auto _ : state) {
      if (!wait_until_sleeping(running.tid())) {
        state.SkipWithError("the loop never blocked in its poller");
        break;
      }
      std::int64_t posted = monotonic_ns();
      loop->call_soon_threadsafe([&started] { started.set(monotonic_ns()); });
      latency.add_seconds(static_cast<double>(started.take() - posted) * 1e-9);
    }
  }
  latency.report(state);
}

void wake_up_baseline(benchmark::State& state) {
  Fd wake = make_eventfd();
  Fd epoll = make_epoll();
  epoll_watch(epoll.get(), wake.get());
  Stamp woke;
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    tid.store(::gettid(), std::memory_order_release);
    epoll_event event;
    while (!done.load(std::memory_order_acquire)) {
      if (::epoll_wait(epoll.get(), &event, 1, -1) != 1) continue;  // EINTR
      std::int64_t now = monotonic_ns();
      std::uint64_t count;
      if (::read(wake.get(), &count, sizeof count) < 0) continue;
      woke.set(now);
    }
  });
  LatencySamples latency;
  std::uint64_t one = 1;
  for (auto _ : state) {
    if (!wait_until_sleeping(tid)) {
      state.SkipWithError("the waiter never blocked");
      break;
    }
    std::int64_t posted = monotonic_ns();
    write_all(wake.get(), &one, sizeof one);
    latency.add_seconds(static_cast<double>(woke.take() - posted) * 1e-9);
  }
  done.store(true, std::memory_order_release);
  write_all(wake.get(), &one, sizeof one);
  waiter.join();
  latency.report(state);
}

}  // namespace

void register_wake_up() {
  // Real time: the iterations wait for another thread.
  probe("wake_up/loop", wake_up_loop)->UseRealTime()->Unit(benchmark::kMicrosecond);
  probe("wake_up/baseline", wake_up_baseline)->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace loopbench
