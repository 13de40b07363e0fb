// Latency samples, one per benchmark iteration, and the counters they
// become: p50_us and p99_us (nearest-rank percentiles, in microseconds).
// Google Benchmark's own figure for these probes, the mean time of an
// iteration, includes the set-up around each sample: read the counters.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <vector>

namespace loopbench {

class LatencySamples {
 public:
  void add_seconds(double seconds) { microseconds_.push_back(seconds * 1e6); }
  /// Samples below zero: for timer lateness, timers that fired early.
  std::size_t negatives() const noexcept;
  /// Sets the p50_us and p99_us counters (nothing without samples).
  void report(benchmark::State& state);

 private:
  std::vector<double> microseconds_;
};

}  // namespace loopbench
