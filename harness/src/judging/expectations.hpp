// Expectations: an adapter's known deviations, kept as data
// (harness/expectations/<adapter>.json), as web-platform-tests keeps its
// per-implementation metadata:
//
//   {
//     "adapter": "libuv",          (or ["loopcert_libev_adapter/*"], see load_expectations)
//     "expectations": {
//       "timers.call_later.not_early_real_time": {
//         "outcome": "FAIL", "reason": "uv_now() is cached per iteration (issue #12)"
//       }
//     }
//   }
//
// They keep a CI gate green while a deviation is being fixed; they never
// count as passes (the verdict ignores them). The gate fails on anything
// the file does not predict: an unexpected failure, an outcome other than
// the expected one, an unexpected pass (the entry is obsolete: delete it),
// or an entry for a case the kit does not have.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "running/results.hpp"

namespace loopcert {

using Expectations = std::map<std::string, Expectation>;

/// The expectations of the file at `path`, whose "adapter" field must name
/// the loop under test: a string or a list of strings, each the loop's name
/// ("epoll"), its label ("loopcert_libevent_adapter/epoll",
/// AdapterInfo::label()) or every loop of its library
/// ("loopcert_libevent_adapter/*"). Throws std::runtime_error with a message
/// naming the file on bad input or another adapter's file.
Expectations load_expectations(const std::string& path, const AdapterInfo& adapter);
/// The same from the file's text (what load_expectations() reads, and what
/// harness/fuzz feeds it); the message does not name a file.
Expectations parse_expectations(std::string_view text, const AdapterInfo& adapter);

struct Gate {
  bool green = true;
  std::vector<std::string> problems;
};

/// Attaches each run's expectation and checks the run against the file.
/// `kit_case_ids` are every case the kit has (filtered or not).
Gate apply_expectations(const Expectations& expectations, std::vector<CaseRun>& runs,
                        const std::vector<std::string>& kit_case_ids);

}  // namespace loopcert
