// Running each case through a user's command (--runner CMD) instead of
// executing loopcert itself: the case process then runs on another machine
// (`ssh bsdbox /opt/loopcert/bin/loopcert --adapter ...`) or OS (`wine64
// cases.exe`), while this loopcert keeps the isolation (a process group per
// case), the hard timeout, the reports and the verdict.
//
// CMD is a shell command line. loopcert runs `/bin/sh -c 'CMD "$@"'` with
// the arguments of one job as "$@", so they are appended to what CMD runs:
//
//   --describe-loops --result-fd 1                          once, first
//   --loop NAME --timeout T --watchdog W --run-one CASE --result-fd 1
//                                                           per case
//
// The command answers with the wire (wire.hpp) on its stdout, and whatever
// the loop prints on its stderr.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pep3156/adapter.hpp"
#include "running/wire.hpp"

namespace loopcert {

/// The argv that runs `command` with a job's arguments appended.
std::vector<std::string> runner_argv(const std::string& command);

/// The loops the runner command's adapter offers, as an AdapterList that
/// select_adapter() and --list-loops read like a loaded library's (with no
/// function to call: the loops run where the command runs them).
class RunnerLoops {
 public:
  /// Asks the command (--describe-loops), killing it after
  /// `timeout_seconds`. Throws UsageError when it names no loop, or one
  /// built against another adapter contract.
  RunnerLoops(const std::string& command, double timeout_seconds);

  const pep3156::AdapterList& list() const { return list_; }
  /// The adapter library where the command runs; empty for a binary that
  /// links its loops.
  const std::string& library() const { return loops_.front().library; }
  /// What the host where the command runs offers: the cases run there.
  const HostProperties& host() const { return loops_.front().host; }

 private:
  std::vector<LoopDescription> loops_;
  std::vector<pep3156::Adapter> adapters_;
  pep3156::AdapterList list_;
};

/// `--describe-loops`: writes one "loop" line per loop of `list` on `fd`,
/// with what this host offers.
int describe_loops(const pep3156::AdapterList& list, const std::string& library, int fd);

/// The descriptor a case process writes the wire to, for `--result-fd N`.
/// N = 1 (stdout, through a runner command): a private copy of stdout,
/// and stdout itself then goes where stderr goes, so that what the loop
/// prints never lands among the results.
int wire_fd(int result_fd);

}  // namespace loopcert
