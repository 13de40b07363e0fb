// Probe 6's measurement (wake_up.cpp), shared by every loop that runs it:
// the contract's call_soon_threadsafe(), the eventfd baseline, and the
// libraries' own APIs (bench/native/), so that each sample covers the same
// span: from just before the post to the first line of what it wakes.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "latency.hpp"
#include "raw.hpp"

namespace loopbench {

/// Registers "wake_up/<variant>", timed as the probe is (real time: the
/// iterations wait for another thread; read the p50_us/p99_us counters).
benchmark::internal::Benchmark* wake_up_probe(const char* variant, void (*body)(benchmark::State&));

/// Waits until the thread whose id `tid` holds has started and sleeps in
/// the kernel (state S in /proc/self/task/TID/stat); false if it has not
/// within a second (it never blocks).
bool wait_until_sleeping(const std::atomic<pid_t>& tid);

/// The time the woken side reports, 0 until it does.
class Stamp {
 public:
  /// From the woken thread, on its first line.
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

/// A thread that publishes its kernel id (for wait_until_sleeping()), then
/// runs `body`, which must have returned when this object goes.
class SleeperThread {
 public:
  explicit SleeperThread(std::function<void()> body);
  ~SleeperThread() { thread_.join(); }
  SleeperThread(const SleeperThread&) = delete;
  SleeperThread& operator=(const SleeperThread&) = delete;

  const std::atomic<pid_t>& tid() const noexcept { return tid_; }

 private:
  std::atomic<pid_t> tid_{0};
  std::thread thread_;
};

/// One sample per benchmark iteration: once the thread `sleeper` sleeps,
/// post() wakes it, and what it runs stamps `woke`. Sets the counters.
template <class Post>
void sample_wake_ups(benchmark::State& state, const std::atomic<pid_t>& sleeper, Stamp& woke, Post post) {
  LatencySamples latency;
  for (auto _ : state) {
    if (!wait_until_sleeping(sleeper)) {
      state.SkipWithError("the woken thread never blocked in the kernel");
      break;
    }
    std::int64_t posted = monotonic_ns();
    post();
    latency.add_seconds(static_cast<double>(woke.take() - posted) * 1e-9);
  }
  latency.report(state);
}

}  // namespace loopbench
