// One run's results: what every part of loopcert after the runner reads
// (verdict, expectations, reports, summary).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conformance/outcome.hpp"
#include "conformance/result.hpp"
#include "pep3156/capabilities.hpp"
#include "registry/case_meta.hpp"

namespace loopcert {

/// A latency probe's figures and, if one was set, its budget.
struct ProbeResult {
  conformance::LatencyStats stats;
  /// stat name ("p50", "p90", "p99", "max") -> budget in nanoseconds.
  std::map<std::string, std::int64_t> budget;
  bool over_budget = false;
};

/// An expectation entry: the outcome a known deviation produces, and why.
struct Expectation {
  conformance::Outcome outcome;
  std::string reason;
};

struct CaseRun {
  CaseMeta meta;
  conformance::Outcome outcome = conformance::Outcome::unsupported;
  /// Why it did not pass.
  std::string message;
  /// FAIL, first with a NotImplementedError from the loop.
  bool not_implemented = false;
  /// Every failed check ("file:line: message"), in order.
  std::vector<std::string> failures;
  /// The tail of what the case process printed (for crashes).
  std::string output;
  bool ran = false;  // false: decided from the capabilities, no process
  std::int64_t start_ms = 0;
  std::int64_t duration_ms = 0;
  std::vector<ProbeResult> latency;
  /// The matching expectation entry, if any.
  std::optional<Expectation> expected;
};

/// The loop under test, as the report names it.
struct AdapterInfo {
  std::string name;
  std::string description;
  std::string library;  // empty for the static route
  /// As declared, without Category::ipv6 (the host's, decision D-TIER-5).
  pep3156::Capabilities capabilities;

  /// "LIBRARY/LOOP", LIBRARY being the library's file name without "lib"
  /// and ".so" (loopcert_libevent_adapter/epoll); the loop alone on the
  /// static route. Tests are named with it, expectations may name it.
  std::string label() const {
    std::string stem = std::filesystem::path(library).filename().string();
    if (stem.rfind("lib", 0) == 0) stem.erase(0, 3);
    if (auto so = stem.find(".so"); so != std::string::npos) stem.erase(so);
    return stem.empty() ? name : stem + "/" + name;
  }
};

}  // namespace loopcert
