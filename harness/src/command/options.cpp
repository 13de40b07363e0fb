#include "command/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <set>
#include <string_view>

#include "reporting/report_file.hpp"

namespace loopcert {

const char* const kUsage = R"(usage:
  loopcert [run] --adapter LIB.so [--loop NAME] [options]   run the kit against a loop
  loopcert --adapter LIB.so --list-loops                    the loops LIB.so offers
  loopcert list [filters]                                   the kit's cases
  loopcert lint [--allow-uncovered FILE] [--sources DIR]   check the cases against the registry
                                                            (and, in DIR, for identical bodies)
  loopcert uncovered                                        MUST clauses without a case (the allow list)
  loopcert coverage                                         clause -> cases, as Markdown
  loopcert compare OLD.json NEW.json [--latency-threshold F] regressions between two reports

run options:
  -j, --jobs N            case processes at once (default: number of cores)
  --timeout S             hard timeout per case, seconds (default 30): TIMEOUT
  --watchdog S            how long a case waits for the loop (default: half the
                          timeout, at most 10): FAIL naming what it waited for
  --case GLOB             only cases whose ID matches (repeatable)
  --clause GLOB           only cases naming a matching clause ID (repeatable)
  --category NAME         only cases of a suite (callbacks, timers, ...) or needing
                          an optional category (io, pipes, signals, unix, ipv6)
  --tier TIER             only cases of a tier (required, optional-io, policy, ...)
  --report FILE           write the CTRF JSON report
  --junit FILE            write JUnit XML
  --expectations FILE     known deviations of this adapter (the gate's exit status)
  --budget P.S=V          latency budget, e.g. call_soon_dispatch.p99=50us (repeatable)
  --budget-file FILE      one budget per line
  --progress, --no-progress   the progress line on stderr (default: on a terminal)
  --faults SPEC           run the case processes under the fault shim, e.g.
                          seed=7,rate=0.05,kinds=eintr+eagain+short+emfile
  --runner CMD            run each case through the shell command CMD (on another
                          machine or OS), which names its own adapter, e.g.
                          --runner 'ssh bsdbox /opt/bin/loopcert --adapter /opt/lib/libx.so'

what a runner command runs (loopcert appends it to CMD):
  loopcert --adapter LIB.so --describe-loops --result-fd 1
  loopcert --adapter LIB.so --loop NAME --timeout S --watchdog S --run-one CASE --result-fd 1

exit status: 0 conforming (or partially conforming, or with --expectations:
every deviation expected), 1 not, 2 usage or adapter-load error.
)";

namespace {
/// The longest --timeout or --watchdog: a day is longer than any case
/// needs, and far from where a deadline in nanoseconds overflows (~292
/// years; "inf" overflowed and timed every case out at once).
constexpr double kMaxSeconds = 86400;

double to_seconds(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  double seconds = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0' || !(seconds > 0) || !(seconds <= kMaxSeconds)) {
    throw UsageError(flag + " takes a positive number of seconds up to 86400 (a day), not '" + value + "'");
  }
  return seconds;
}

int to_job_count(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0' || errno != 0 || n <= 0 || n > std::numeric_limits<int>::max()) {
    throw UsageError(flag + " takes a positive whole number, not '" + value + "'");
  }
  return static_cast<int>(n);
}
/// What --runner cannot be combined with, and why.
void check_runner_options(const Options& o) {
  if (!o.adapter_path.empty()) {
    throw UsageError(
        "--runner runs the cases where the command runs them: name the adapter in the command "
        "(--runner 'CMD --adapter LIB.so'), not with --adapter here");
  }
  if (!o.faults.empty()) {
    throw UsageError(
        "--faults preloads the fault shim into local case processes; through --runner it would "
        "reach the command (the shell, ssh, wine), not the case: run --faults where the loop runs");
  }
  if (!o.run_one.empty() || o.describe_loops) {
    throw UsageError("--runner is for the loopcert that judges, not for the case process it runs");
  }
}
}  // namespace

double Options::watchdog() const { return watchdog_seconds.value_or(std::min(10.0, timeout_seconds / 2)); }

Options parse_options(int argc, char** argv) {
  static const std::set<std::string_view> kCommands{"run",      "list",    "lint", "uncovered",
                                                    "coverage", "compare", "help", "version"};
  Options o;
  int i = 1;
  if (i < argc && kCommands.count(argv[i]) > 0) o.command = argv[i++];
  auto value = [&](const std::string& flag) -> std::string {
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    return argv[++i];
  };
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--adapter") {
      o.adapter_path = value(arg);
    } else if (arg == "--loop") {
      o.loop_name = value(arg);
    } else if (arg == "--list-loops") {
      o.list_loops = true;
    } else if (arg == "-j" || arg == "--jobs") {
      o.jobs = to_job_count(arg, value(arg));
    } else if (arg.rfind("-j", 0) == 0 && arg.size() > 2) {
      o.jobs = to_job_count("-j", arg.substr(2));
    } else if (arg == "--timeout") {
      o.timeout_seconds = to_seconds(arg, value(arg));
    } else if (arg == "--watchdog") {
      o.watchdog_seconds = to_seconds(arg, value(arg));
    } else if (arg == "--case") {
      o.case_globs.push_back(value(arg));
    } else if (arg == "--clause") {
      o.clause_globs.push_back(value(arg));
    } else if (arg == "--category") {
      o.categories.push_back(value(arg));
    } else if (arg == "--tier") {
      o.tiers.push_back(value(arg));
    } else if (arg == "--report") {
      o.report_path = value(arg);
    } else if (arg == "--junit") {
      o.junit_path = value(arg);
    } else if (arg == "--expectations") {
      o.expectations_path = value(arg);
    } else if (arg == "--budget") {
      try {
        parse_budget(value(arg), o.budgets);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (arg == "--budget-file") {
      try {
        load_budget_file(value(arg), o.budgets);
      } catch (const std::runtime_error& e) {
        throw UsageError(e.what());
      }
    } else if (arg == "--progress") {
      o.progress = true;
    } else if (arg == "--no-progress") {
      o.progress = false;
    } else if (arg == "--faults") {
      o.faults = value(arg);
    } else if (arg == "--allow-uncovered") {
      o.allow_uncovered_path = value(arg);
    } else if (arg == "--sources") {
      o.case_sources_dir = value(arg);
    } else if (arg == "--latency-threshold") {
      std::string t = value(arg);
      o.latency_threshold = std::strtod(t.c_str(), nullptr);
      if (!(o.latency_threshold >= 1.0))
        throw UsageError("--latency-threshold takes a factor >= 1, not '" + t + "'");
    } else if (arg == "--runner") {
      o.runner = value(arg);
      if (o.runner.find_first_not_of(" \t") == std::string::npos)
        throw UsageError("--runner needs a command");
    } else if (arg == "--run-one") {
      o.run_one = value(arg);
    } else if (arg == "--describe-loops") {
      o.describe_loops = true;
    } else if (arg == "--result-fd") {
      o.result_fd = std::atoi(value(arg).c_str());
    } else if (arg == "-h" || arg == "--help") {
      o.command = "help";
    } else if (arg == "--version") {
      o.command = "version";
    } else if (!arg.empty() && arg[0] == '-') {
      throw UsageError("unknown option " + arg);
    } else {
      o.positional.push_back(arg);
    }
  }
  if (o.command != "compare" && !o.positional.empty()) {
    throw UsageError("unexpected argument '" + o.positional.front() + "'");
  }
  if (!o.runner.empty()) check_runner_options(o);
  if (o.watchdog_seconds && *o.watchdog_seconds > o.timeout_seconds) {
    throw UsageError("--watchdog must not be longer than --timeout: the case would be killed first");
  }
  try {
    check_budget_probes(o.budgets);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!o.report_path.empty() && !o.junit_path.empty() && same_report_path(o.report_path, o.junit_path)) {
    throw UsageError("--report and --junit name the same file " + o.junit_path +
                     ": one would overwrite the other");
  }
  if (o.command == "compare" && o.positional.size() != 2) {
    throw UsageError("compare takes two reports: loopcert compare OLD.json NEW.json");
  }
  return o;
}

}  // namespace loopcert
