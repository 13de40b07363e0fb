// Probe 4, timer lateness: one timer at now + d, d drawn from 200 us to
// 1 ms, and how long after its deadline it fires, both read on the loop's
// own clock (time()). Counters: p50_us, p99_us, and early_fires, timers
// that fired before their deadline (LOOP-CALLLATER-ONCE: "no earlier than").
// Here a timer IS what is measured, so this probe sleeps.
//
// Baseline: clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) to the same
// kind of deadline.
//
// Timer slack: Linux lets a sleeping thread wake up to timer_slack_ns late
// (50 us by default) so that wake-ups can be batched. That would dominate
// both figures, so both run with a 1 ns slack (prctl(PR_SET_TIMERSLACK)),
// as a latency-sensitive program would set it on its loop's thread.
#include <benchmark/benchmark.h>
#include <sys/prctl.h>
#include <time.h>

#include <cerrno>
#include <random>

#include "latency.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw.hpp"

namespace loopbench {
namespace {

/// Timer slack of 1 ns on this thread for as long as it exists.
class FineTimerSlack {
 public:
  FineTimerSlack() : previous_(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
    ::prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
  }
  ~FineTimerSlack() { ::prctl(PR_SET_TIMERSLACK, previous_, 0, 0, 0); }
  FineTimerSlack(const FineTimerSlack&) = delete;
  FineTimerSlack& operator=(const FineTimerSlack&) = delete;

 private:
  int previous_;
};

/// The delays, in seconds, in a fixed pseudo-random order.
class Delays {
 public:
  double next() { return seconds_(random_); }

 private:
  std::mt19937_64 random_{3156};
  std::uniform_real_distribution<double> seconds_{200e-6, 1e-3};
};

void report(benchmark::State& state, LatencySamples& lateness) {
  lateness.report(state);
  state.counters["early_fires"] = static_cast<double>(lateness.negatives());
}

void timer_lateness_loop(benchmark::State& state) {
  FineTimerSlack slack;
  Delays delays;
  LatencySamples lateness;
  FreshLoop loop;
  for (auto _ : state) {
    double deadline = loop->time() + delays.next();
    double fired_at = 0;
    loop->call_at(deadline, [&] {
      fired_at = loop->time();
      loop->stop();
    });
    loop->run_forever();
    lateness.add_seconds(fired_at - deadline);
  }
  report(state, lateness);
}

void timer_lateness_baseline(benchmark::State& state) {
  FineTimerSlack slack;
  Delays delays;
  LatencySamples lateness;
  for (auto _ : state) {
    std::int64_t deadline = monotonic_ns() + static_cast<std::int64_t>(delays.next() * 1e9);
    timespec until{static_cast<time_t>(deadline / 1'000'000'000),
                   static_cast<long>(deadline % 1'000'000'000)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
    }
    lateness.add_seconds(static_cast<double>(monotonic_ns() - deadline) * 1e-9);
  }
  report(state, lateness);
}

}  // namespace

void register_timer_lateness() {
  // Real time: the iterations sleep.
  probe("timer_lateness/loop", timer_lateness_loop)->UseRealTime()->Unit(benchmark::kMicrosecond);
  probe("timer_lateness/baseline", timer_lateness_baseline)->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace loopbench
