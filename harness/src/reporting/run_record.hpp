// Everything one run produced, as the reports and the summary read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "judging/categories.hpp"
#include "judging/expectations.hpp"
#include "judging/verdict.hpp"
#include "registry/host.hpp"
#include "registry/registry.hpp"
#include "running/results.hpp"

namespace loopcert {

struct RunRecord {
  AdapterInfo adapter;
  /// What loopcert found the host to offer (decision D-TIER-5).
  HostProperties host;
  std::vector<CaseRun> runs;  // in case-ID order
  Verdict verdict;
  /// Where the loop stands in each PEP category (never the verdict).
  std::vector<CategoryResult> categories;
  /// Present when an expectations file was given.
  std::optional<Gate> gate;
  /// How many cases the kit has; more than runs.size() when filtered.
  std::size_t cases_in_kit = 0;
  std::int64_t start_ms = 0;
  std::int64_t stop_ms = 0;
  const Registry* registry = nullptr;
  /// The fault shim's configuration (--faults), empty when it was off.
  std::string faults;
  /// The command each case ran through (--runner), empty for loopcert itself.
  std::string runner;
};

}  // namespace loopcert
