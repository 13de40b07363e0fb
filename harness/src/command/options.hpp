// loopcert's command line.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "judging/budgets.hpp"

namespace loopcert {

/// A command line loopcert cannot act on: exit status 2 with the message.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  /// run (default), list, lint, uncovered, coverage, compare, help, version.
  std::string command = "run";
  std::vector<std::string> positional;

  std::string adapter_path;  // --adapter (dynamic route)
  std::string loop_name;     // --loop
  bool list_loops = false;   // --list-loops

  int jobs = 0;  // -j; 0 = the number of cores
  double timeout_seconds = 30;
  std::optional<double> watchdog_seconds;

  std::vector<std::string> case_globs;    // --case
  std::vector<std::string> clause_globs;  // --clause
  std::vector<std::string> categories;    // --category
  std::vector<std::string> tiers;         // --tier

  std::string report_path;        // --report (CTRF JSON)
  std::string junit_path;         // --junit
  std::string expectations_path;  // --expectations
  Budgets budgets;                // --budget, --budget-file
  std::optional<bool> progress;   // --progress / --no-progress; default: stderr is a terminal
  std::string faults;             // --faults SPEC: the case processes run under the fault shim
  std::string runner;             // --runner CMD: each case runs through CMD (case_runner.hpp)

  std::string allow_uncovered_path;  // lint --allow-uncovered
  std::string case_sources_dir;      // lint --sources
  double latency_threshold = 1.5;    // compare --latency-threshold

  // The case process's side: what a --runner command runs (case_runner.hpp).
  std::string run_one;          // --run-one CASE
  bool describe_loops = false;  // --describe-loops: the loops, on the wire
  int result_fd = -1;           // --result-fd N: the wire's descriptor (1: stdout)

  /// The watchdog's deadline: given, or half the hard timeout (at most 10 s).
  double watchdog() const;
};

/// Throws UsageError.
Options parse_options(int argc, char** argv);

extern const char* const kUsage;

}  // namespace loopcert
