#include <algorithm>
#include <cmath>

#include "conformance/result.hpp"

namespace conformance {

namespace {
/// Nearest-rank percentile of sorted samples: the smallest sample with at
/// least p% of the samples at or below it.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}
}  // namespace

LatencyStats summarize(std::string probe, std::vector<std::int64_t> samples_ns) {
  LatencyStats stats;
  stats.early = std::count_if(samples_ns.begin(), samples_ns.end(), [](std::int64_t s) { return s < 0; });
  // An early sample is counted as such, and as no latency at all.
  for (auto& s : samples_ns) s = std::max<std::int64_t>(s, 0);
  std::sort(samples_ns.begin(), samples_ns.end());
  stats.probe = std::move(probe);
  stats.count = static_cast<std::int64_t>(samples_ns.size());
  stats.p50 = percentile(samples_ns, 50);
  stats.p90 = percentile(samples_ns, 90);
  stats.p99 = percentile(samples_ns, 99);
  stats.max = samples_ns.empty() ? 0 : samples_ns.back();
  return stats;
}

}  // namespace conformance
