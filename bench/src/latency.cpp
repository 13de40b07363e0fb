#include "latency.hpp"

#include <algorithm>
#include <cmath>

namespace loopbench {

namespace {
// The nearest-rank percentile of sorted samples: the smallest sample with
// at least `fraction` of all samples at or below it.
double percentile(const std::vector<double>& sorted, double fraction) {
  auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}
}  // namespace

std::size_t LatencySamples::negatives() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(microseconds_.begin(), microseconds_.end(), [](double sample) { return sample < 0; }));
}

void LatencySamples::report(benchmark::State& state) {
  if (microseconds_.empty()) return;
  std::sort(microseconds_.begin(), microseconds_.end());
  state.counters["p50_us"] = percentile(microseconds_, 0.50);
  state.counters["p99_us"] = percentile(microseconds_, 0.99);
}

}  // namespace loopbench
