// Runs cases in child processes, several at once, each with a hard timeout.
//
// Each case is a fresh process (fork + exec of loopcert itself with
// --run-one, or of a --runner command that runs it elsewhere), in a process
// group of its own, so that:
//   - a crash (a signal, abort(), exit() without a result) is that case's
//     CRASH, and the run goes on;
//   - a hang is killed (SIGKILL to the whole group) after the timeout and
//     is that case's TIMEOUT;
//   - whatever the loop prints lands in a pipe the runner keeps the tail
//     of, never on loopcert's own stdout.
// Results come back as JSON lines on a pipe of their own (wire.hpp): the
// case process's --result-fd, or a runner command's stdout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "running/wire.hpp"

namespace loopcert {

struct PoolSettings {
  /// Concurrent case processes.
  int jobs = 1;
  /// Hard timeout per case, in seconds.
  double timeout_seconds = 60;
  /// The program and arguments that run one case; the pool appends the
  /// job's arguments and "--result-fd N".
  std::vector<std::string> command;
  /// The results come on the process's stdout ("--result-fd 1"), its
  /// stderr being its output: a runner command carries one stream for each
  /// and no other descriptor.
  bool results_on_stdout = false;
  /// NAME=VALUE entries the case processes get on top of loopcert's own
  /// environment (replacing a variable of the same name).
  std::vector<std::string> environment;
};

/// What one case process left behind.
struct ChildOutcome {
  ChildMessages messages;
  /// The tail of what it wrote to stdout and stderr.
  std::string output;
  /// waitpid()'s status.
  int wait_status = 0;
  bool timed_out = false;
  std::int64_t start_ms = 0;  // since the epoch
  std::int64_t duration_ms = 0;
};

/// Runs one process per entry of `jobs` (its arguments: "--run-one ID");
/// calls `done(index, outcome)` as each finishes (in completion order) and
/// `started(index)` as each starts.
void run_in_processes(const PoolSettings& settings, const std::vector<std::vector<std::string>>& jobs,
                      const std::function<void(std::size_t)>& started,
                      const std::function<void(std::size_t, ChildOutcome)>& done);

/// The most case processes the descriptor limit (RLIMIT_NOFILE) leaves room
/// for: each running case holds the read ends of two pipes and spawning one
/// briefly needs four, besides what loopcert itself keeps open.
int max_jobs();

/// This program's path, for re-executing itself.
std::string self_executable(const char* argv0);

}  // namespace loopcert
