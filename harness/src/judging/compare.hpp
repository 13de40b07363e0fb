// `loopcert compare OLD.json NEW.json`: what changed between two reports,
// and whether it is a regression a CI gate should fail on:
//   - a case that passed in OLD and does not pass (or is gone) in NEW;
//   - a clause that OLD's cases checked and NEW's do not (lost coverage);
//   - a latency probe whose p50 or p99 grew past OLD's by more than the
//     threshold factor (default 1.5).
// Fixes, new cases and a better verdict are reported too, and never fail.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace loopcert {

struct Comparison {
  std::vector<std::string> regressions;
  std::vector<std::string> other_changes;
};

Comparison compare_reports(const nlohmann::json& old_report, const nlohmann::json& new_report,
                           double latency_threshold);

}  // namespace loopcert
