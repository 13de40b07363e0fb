#include "running/run_command.hpp"

#include <fnmatch.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "conformance/str.hpp"
#include "judging/budgets.hpp"
#include "reporting/report_ctrf.hpp"
#include "reporting/report_file.hpp"
#include "reporting/report_junit.hpp"
#include "reporting/summary.hpp"

namespace loopcert {

using conformance::Outcome;

namespace {
bool matches_any(const std::vector<std::string>& globs, std::string_view text) {
  std::string s(text);
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return ::fnmatch(g.c_str(), s.c_str(), 0) == 0; });
}

bool selected(const Options& o, const CaseMeta& meta) {
  const auto& info = *meta.info;
  if (!o.case_globs.empty() && !matches_any(o.case_globs, info.id)) return false;
  if (!o.clause_globs.empty()) {
    bool any = std::any_of(info.spec.clauses().begin(), info.spec.clauses().end(),
                           [&](std::string_view id) { return matches_any(o.clause_globs, id); });
    if (!any) return false;
  }
  if (!o.categories.empty()) {
    bool any = std::any_of(o.categories.begin(), o.categories.end(), [&](const std::string& c) {
      if (c == info.suite()) return true;
      return std::any_of(all_categories().begin(), all_categories().end(), [&](pep3156::Category cat) {
        return pep3156::has(meta.needs, cat) && pep3156::category_name(cat) == c;
      });
    });
    if (!any) return false;
  }
  if (!o.tiers.empty() &&
      std::find(o.tiers.begin(), o.tiers.end(), std::string(tier_name(meta.tier))) == o.tiers.end()) {
    return false;
  }
  return true;
}

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> kit_case_ids() {
  std::vector<std::string> ids;
  for (const auto& info : conformance::registered_cases()) ids.push_back(info.id);
  return ids;
}
}  // namespace

std::vector<CaseMeta> select_cases(const Options& options, const Registry& registry) {
  for (const auto& t : options.tiers) {
    if (!parse_tier(t)) throw UsageError("unknown tier '" + t + "'");
  }
  std::vector<CaseMeta> metas;
  for (const auto& info : conformance::registered_cases()) {
    CaseMeta meta = describe_case(info, registry);
    if (selected(options, meta)) metas.push_back(meta);
  }
  if (metas.empty()) throw UsageError("no case matches the filters");
  std::sort(metas.begin(), metas.end(),
            [](const CaseMeta& a, const CaseMeta& b) { return a.info->id < b.info->id; });
  return metas;
}

void judge(CaseRun& run, const ChildOutcome& child, double timeout_seconds) {
  run.ran = true;
  run.start_ms = child.start_ms;
  run.duration_ms = child.duration_ms;
  run.output = child.output;
  for (const auto& f : child.messages.failures) {
    run.failures.push_back(f.file.empty() ? f.message
                                          : f.file + ":" + std::to_string(f.line) + ": " + f.message);
  }
  std::string first_failure = run.failures.empty() ? "" : "; first failed check: " + run.failures.front();
  const auto& result = child.messages.result;
  if (child.timed_out) {
    run.outcome = Outcome::timeout;
    run.message = conformance::str("no result within the hard timeout of ", timeout_seconds,
                                   " s: the case process was killed", first_failure);
  } else if (WIFSIGNALED(child.wait_status)) {
    int sig = WTERMSIG(child.wait_status);
    run.outcome = Outcome::crash;
    run.message = conformance::str(
        "the case process was killed by signal ", sig, " (", ::strsignal(sig), ")",
        result ? " after reporting " + std::string(conformance::outcome_name(result->outcome))
               : std::string(),
        first_failure);
  } else if (result && WEXITSTATUS(child.wait_status) != 0 && !conformance::is_failure(result->outcome)) {
    // It reported, then failed on the way out: a sanitizer's report (a
    // leak, a race) or a crash in a destructor.
    run.outcome = Outcome::crash;
    run.message =
        conformance::str("the case process reported ", conformance::outcome_name(result->outcome),
                         ", then exited with status ", WEXITSTATUS(child.wait_status), " (see its output)");
  } else if (result) {
    run.outcome = result->outcome;
    run.message = result->message;
    run.not_implemented = result->not_implemented && result->outcome == Outcome::fail;
    for (const auto& stats : result->latency) run.latency.push_back(ProbeResult{stats, {}, false});
  } else {
    run.outcome = Outcome::crash;
    run.message = conformance::str("the case process exited with status ", WEXITSTATUS(child.wait_status),
                                   " without reporting a result", first_failure);
  }
  if (!child.messages.garbled.empty()) {
    run.message += conformance::str(" (", child.messages.garbled.size(), " unreadable result lines)");
  }
}

namespace {
/// The fault shim (harness/faults/): built in faults/ beside the loopcert
/// executable, installed in LOOPCERT_INSTALLED_FAULTS_DIR from bin/ (the
/// package's lib/pep3156/faults/). Throws UsageError naming both places.
std::string fault_shim(const std::string& loopcert) {
  const std::string folder = loopcert.substr(0, loopcert.rfind('/') + 1);
  const std::string built = folder + "faults/libloopcert_faults.so";
  const std::string installed = folder + LOOPCERT_INSTALLED_FAULTS_DIR "/libloopcert_faults.so";
  for (const std::string& shim : {built, installed}) {
    if (::access(shim.c_str(), R_OK) == 0) return shim;
  }
  throw UsageError("--faults needs the fault shim, not found at " + built + " nor " + installed +
                   " (build loopcert_faults)");
}

/// The environment that puts a case process under the fault shim. loopcert
/// itself stays out of it: a run tests the loop, not the runner.
std::vector<std::string> fault_environment(const std::string& spec, const std::string& loopcert) {
  const std::string shim = fault_shim(loopcert);
  const char* preload = std::getenv("LD_PRELOAD");
  std::string preloads = preload != nullptr && *preload != '\0' ? std::string(preload) + ":" + shim : shim;
  return {"LD_PRELOAD=" + preloads, "PEP3156_FAULTS=" + spec};
}
}  // namespace

int run_kit(const Options& options, const pep3156::Adapter& adapter, const std::string& library,
            std::vector<std::string> child_command, const HostProperties& host) {
  const Registry& registry = Registry::embedded();
  std::vector<CaseMeta> metas = select_cases(options, registry);
  RunRecord record;
  record.registry = &registry;
  record.adapter =
      AdapterInfo{adapter.name, adapter.description, library, without_host_properties(adapter.capabilities)};
  std::optional<Expectations> expectations;
  if (!options.expectations_path.empty()) {
    try {
      expectations = load_expectations(options.expectations_path, record.adapter);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }

  if (options.jobs > max_jobs()) {
    throw UsageError("--jobs " + std::to_string(options.jobs) +
                     " needs more descriptors than the limit (ulimit -n) allows: at most " +
                     std::to_string(max_jobs()) + " here");
  }
  // A report that cannot be written is found now, not after the run.
  for (const std::string* path : {&options.report_path, &options.junit_path}) {
    if (!path->empty()) check_report_path(*path);
  }

  record.host = host;
  // What applies follows from the adapter's declaration and from the host.
  const pep3156::Capabilities capabilities = on_host(adapter.capabilities, record.host);
  record.cases_in_kit = conformance::registered_cases().size();
  record.start_ms = epoch_ms();
  record.runs.resize(metas.size());
  std::vector<std::size_t> to_run;
  std::vector<std::vector<std::string>> to_run_jobs;
  for (std::size_t i = 0; i < metas.size(); ++i) {
    CaseRun& run = record.runs[i];
    run.meta = metas[i];
    if (auto reason = inapplicable_reason(run.meta, capabilities)) {
      run.outcome = Outcome::unsupported;
      run.message = *reason;
    } else {
      to_run.push_back(i);
      to_run_jobs.push_back({"--run-one", run.meta.info->id});
    }
  }

  PoolSettings pool;
  pool.jobs = options.jobs > 0
                  ? options.jobs
                  : std::min(max_jobs(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  pool.timeout_seconds = options.timeout_seconds;
  pool.command = std::move(child_command);
  pool.results_on_stdout = !options.runner.empty();
  record.runner = options.runner;
  if (!options.faults.empty()) {
    pool.environment = fault_environment(options.faults, pool.command.front());
    record.faults = options.faults;
  }
  Progress progress(options.progress.value_or(::isatty(2) != 0), ::isatty(2) != 0, metas.size());
  for (const CaseRun& run : record.runs) {
    if (run.outcome == Outcome::unsupported) progress.finished(run);
  }
  run_in_processes(
      pool, to_run_jobs, [](std::size_t) {},
      [&](std::size_t k, ChildOutcome child) {
        CaseRun& run = record.runs[to_run[k]];
        judge(run, child, options.timeout_seconds);
        progress.finished(run);
      });
  progress.done();
  record.stop_ms = epoch_ms();

  for (const auto& unused : apply_budgets(options.budgets, record.runs)) {
    std::fprintf(stderr, "loopcert: note: no case measured the probe '%s' that a budget names\n",
                 unused.c_str());
  }
  if (expectations) record.gate = apply_expectations(*expectations, record.runs, kit_case_ids());
  record.verdict = decide_verdict(record.runs, capabilities, record.cases_in_kit, registry);
  record.categories = category_results(record.runs);

  if (!options.report_path.empty()) write_json_file(options.report_path, ctrf_report(record));
  if (!options.junit_path.empty()) write_report_file(options.junit_path, junit_report(record));
  print_summary(stdout, record);
  std::fflush(stdout);

  if (record.gate) return record.gate->green ? 0 : 1;
  return record.verdict.kind == VerdictKind::non_conforming ? 1 : 0;
}

}  // namespace loopcert
