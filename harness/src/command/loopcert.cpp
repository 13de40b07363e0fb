// loopcert's front door: parses the command line and dispatches.
#include "loopcert/loopcert.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "command/options.hpp"
#include "judging/compare.hpp"
#include "loopcert/adapter_loader.hpp"
#include "registry/host.hpp"
#include "registry/lint.hpp"
#include "reporting/report_ctrf.hpp"
#include "running/case_runner.hpp"
#include "running/child.hpp"
#include "running/process_pool.hpp"
#include "running/run_command.hpp"

namespace loopcert {

namespace {
nlohmann::json read_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the report " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw UsageError(path + " is not a JSON report: " + e.what());
  }
}

int compare_command(const Options& o) {
  Comparison c;
  try {
    c = compare_reports(read_report(o.positional[0]), read_report(o.positional[1]), o.latency_threshold);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(std::string("not a loopcert CTRF report: ") + e.what());
  }
  for (const auto& line : c.regressions) std::printf("REGRESSION  %s\n", line.c_str());
  for (const auto& line : c.other_changes) std::printf("changed     %s\n", line.c_str());
  std::printf("%s\n", c.regressions.empty()
                          ? "compare: no regression"
                          : ("compare: " + std::to_string(c.regressions.size()) + " regression(s)").c_str());
  return c.regressions.empty() ? 0 : 1;
}

int list_command(const Options& o) {
  for (const CaseMeta& meta : select_cases(o, Registry::embedded())) {
    std::string clauses;
    for (std::string_view id : meta.info->spec.clauses())
      clauses.append(clauses.empty() ? "" : ",")
          .append(id);  // not "," + ...: GCC 12's -Wrestrict false positive at -O3
    std::printf("%-50s %-6s %-24s %s\n", meta.info->id.c_str(), std::string(level_name(meta.level)).c_str(),
                std::string(tier_name(meta.tier)).c_str(), clauses.c_str());
  }
  return 0;
}

int lint_command(const Options& o) {
  std::optional<std::set<std::string>> allowed;
  if (!o.allow_uncovered_path.empty()) {
    try {
      allowed = load_clause_list(o.allow_uncovered_path);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }
  const auto& cases = conformance::registered_cases();
  auto problems = lint_cases(cases, Registry::embedded(), allowed);
  if (!o.case_sources_dir.empty()) {
    std::vector<CaseBody> bodies;
    try {
      bodies = case_bodies_in(o.case_sources_dir);
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
    for (auto& problem : lint_case_bodies(cases, bodies)) problems.push_back(std::move(problem));
  }
  for (const auto& p : problems) std::printf("lint: %s\n", p.c_str());
  std::printf("lint: %zu cases, %zu clauses in the registry: %s\n", cases.size(),
              Registry::embedded().clauses().size(),
              problems.empty() ? "ok" : (std::to_string(problems.size()) + " problem(s)").c_str());
  return problems.empty() ? 0 : 1;
}

int list_loops(const pep3156::AdapterList& list) {
  for (std::size_t i = 0; i < list.count; ++i) {
    std::printf("%s\t%s\n", list.adapters[i].name, list.adapters[i].description);
  }
  return 0;
}

/// Everything but compare and the registry commands needs the adapters.
int dispatch(const Options& o, const pep3156::AdapterList* adapters, const std::string& library,
             const char* argv0) {
  if (o.command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (o.command == "version") {
    std::printf("loopcert %s (adapter contract %d)\n", std::string(kLoopcertVersion).c_str(),
                pep3156::kAdapterContractVersion);
    return 0;
  }
  if (o.command == "compare") return compare_command(o);
  if (o.command == "list") return list_command(o);
  if (o.command == "lint") return lint_command(o);
  if (o.command == "uncovered") {
    std::fputs(
        uncovered_list_text(uncovered_must_clauses(conformance::registered_cases(), Registry::embedded()))
            .c_str(),
        stdout);
    return 0;
  }
  if (o.command == "coverage") {
    std::fputs(coverage_markdown(conformance::registered_cases(), Registry::embedded()).c_str(), stdout);
    return 0;
  }

  std::optional<RunnerLoops> runner_loops;
  std::string where = library.empty() ? "the linked adapter list" : library;
  if (!o.runner.empty()) {
    // The loops are where the command runs them; it says which there are.
    runner_loops.emplace(o.runner, o.timeout_seconds);
    adapters = &runner_loops->list();
    where = "the runner command's adapter";
  }
  if (adapters == nullptr)
    throw UsageError("name the loop under test: --adapter LIB.so (see loopcert --help)");
  if (o.list_loops) return list_loops(*adapters);
  if (o.describe_loops) return describe_loops(*adapters, library, wire_fd(o.result_fd < 0 ? 1 : o.result_fd));
  const pep3156::Adapter& adapter = select_adapter(*adapters, o.loop_name, where);
  if (!o.run_one.empty()) return run_one_case(o.run_one, adapter, o.watchdog(), wire_fd(o.result_fd));

  std::vector<std::string> child =
      runner_loops ? runner_argv(o.runner) : std::vector<std::string>{self_executable(argv0)};
  if (!library.empty() && !runner_loops) child.insert(child.end(), {"--adapter", library});
  // The case process checks its --watchdog against its --timeout: it gets both.
  char watchdog[32];
  char timeout[32];
  std::snprintf(watchdog, sizeof watchdog, "%.17g", o.watchdog());
  std::snprintf(timeout, sizeof timeout, "%.17g", o.timeout_seconds);
  child.insert(child.end(), {"--loop", adapter.name, "--timeout", timeout, "--watchdog", watchdog});
  // The host is probed once per run, before the first case, where the cases run.
  if (runner_loops)
    return run_kit(o, adapter, runner_loops->library(), std::move(child), runner_loops->host());
  return run_kit(o, adapter, library, std::move(child), probe_host());
}

int guarded(int argc, char** argv, const std::function<int(const Options&)>& body) {
  try {
    return body(parse_options(argc, argv));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "loopcert: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loopcert: %s\n", e.what());
    return 2;
  }
}
}  // namespace

int run(int argc, char** argv, const pep3156::AdapterList& adapters) {
  return guarded(argc, argv, [&](const Options& o) {
    if (!o.adapter_path.empty())
      throw UsageError("--adapter is for the loopcert executable; this binary links its loops");
    check_contract(adapters, "the linked adapter list");
    return dispatch(o, &adapters, "", argv[0]);
  });
}

int main(int argc, char** argv) {
  return guarded(argc, argv, [&](const Options& o) {
    const pep3156::AdapterList* adapters = nullptr;
    if (!o.adapter_path.empty()) adapters = &load_adapter_library(o.adapter_path);
    return dispatch(o, adapters, o.adapter_path, argv[0]);
  });
}

}  // namespace loopcert
