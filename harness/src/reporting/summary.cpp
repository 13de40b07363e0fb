#include "reporting/summary.hpp"

#include <algorithm>
#include <map>

#include "judging/budgets.hpp"
#include "reporting/report_ctrf.hpp"

namespace loopcert {

using conformance::Outcome;

namespace {
constexpr Outcome kColumns[] = {Outcome::pass,           Outcome::fail,        Outcome::timeout,
                                Outcome::crash,          Outcome::unsupported, Outcome::unresolved,
                                Outcome::quality_warning};

/// The first line of `text`, at most `width` characters.
std::string first_line(const std::string& text, std::size_t width) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > width ? line.substr(0, width - 3) + "..." : line;
}

void print_table(std::FILE* out, const RunRecord& record) {
  std::map<std::string, std::map<Outcome, int>> by_suite;
  std::map<Outcome, int> total;
  for (const CaseRun& run : record.runs) {
    ++by_suite[std::string(run.meta.info->suite())][run.outcome];
    ++total[run.outcome];
  }
  std::fprintf(out, "%-14s %5s %5s %5s %7s %5s %11s %10s %7s\n", "suite", "cases", "pass", "fail", "timeout",
               "crash", "unsupported", "unresolved", "warning");
  auto row = [out](const std::string& name, std::map<Outcome, int>& counts) {
    int cases = 0;
    for (auto& [outcome, n] : counts) cases += n;
    std::fprintf(out, "%-14s %5d", name.c_str(), cases);
    const int widths[] = {5, 5, 7, 5, 11, 10, 7};
    for (std::size_t i = 0; i < std::size(kColumns); ++i)
      std::fprintf(out, " %*d", widths[i], counts[kColumns[i]]);
    std::fprintf(out, "\n");
  };
  for (auto& [suite, counts] : by_suite) row(suite, counts);
  row("total", total);
}

bool not_implemented(const RunRecord& record, std::string_view category) {
  return std::any_of(record.categories.begin(), record.categories.end(), [&](const CategoryResult& c) {
    return c.name == category && c.standing == Standing::not_implemented;
  });
}

/// What did not pass; a category that is not implemented at all is one
/// line, not one per case.
void print_findings(std::FILE* out, const RunRecord& record) {
  bool header = false;
  auto print_header = [&] {
    if (!header) std::fprintf(out, "\nnot passed:\n");
    header = true;
  };
  for (const CategoryResult& category : record.categories) {
    if (category.standing != Standing::not_implemented) continue;
    print_header();
    std::fprintf(out,
                 "  %-15s %s: %d of its %d cases did not pass, each non-advisory one failing with "
                 "NotImplementedError from the loop\n",
                 "NOT IMPLEMENTED", std::string(category.name).c_str(), category.applicable - category.passed,
                 category.applicable);
  }
  for (const CaseRun& run : record.runs) {
    if (run.outcome == Outcome::pass || run.outcome == Outcome::unsupported) continue;
    if (not_implemented(record, pep_category_of(run.meta.info->id))) continue;
    print_header();
    std::string note = !run.meta.extension.empty() ? " (advisory: extension " + run.meta.extension + ")"
                       : run.meta.advisory         ? " (advisory)"
                                                   : "";
    if (run.expected && run.expected->outcome == run.outcome)
      note += " (expected: " + run.expected->reason + ")";
    std::fprintf(out, "  %-15s %s%s\n      %s\n", std::string(conformance::outcome_name(run.outcome)).c_str(),
                 run.meta.info->id.c_str(), note.c_str(), first_line(run.message, 200).c_str());
  }
}

void print_latency(std::FILE* out, const RunRecord& record) {
  bool header = false;
  for (const CaseRun& run : record.runs) {
    for (const ProbeResult& probe : run.latency) {
      if (!header) {
        std::fprintf(out,
                     "\nlatency (measured, never deciding conformance):\n  %-22s %7s %9s %9s %9s %9s  %s\n",
                     "probe", "count", "p50", "p90", "p99", "max", "budget");
        header = true;
      }
      const auto& s = probe.stats;
      std::string budget;
      for (const auto& [stat, limit] : probe.budget) budget += stat + "<=" + format_ns(limit) + " ";
      if (!probe.budget.empty()) budget += probe.over_budget ? "OVER" : "ok";
      if (s.early > 0) budget += " (" + std::to_string(s.early) + " early)";
      std::fprintf(out, "  %-22s %7lld %9s %9s %9s %9s  %s\n", s.probe.c_str(),
                   static_cast<long long>(s.count), format_ns(s.p50).c_str(), format_ns(s.p90).c_str(),
                   format_ns(s.p99).c_str(), format_ns(s.max).c_str(), budget.c_str());
    }
  }
}
/// Where the loop stands per PEP category, right above the verdict.
void print_categories(std::FILE* out, const RunRecord& record) {
  std::fprintf(out, "\nby PEP category (the verdict above is the PEP's; networking and TLS are required):\n");
  for (const CategoryResult& category : record.categories) {
    std::string detail = describe(category);
    if (category.standing == Standing::unsupported && !category.reason.empty()) {
      detail += " (" + category.reason + ")";
    } else if (category.standing != Standing::unsupported && category.standing != Standing::failing) {
      detail +=
          " (" + std::to_string(category.applicable) + (category.applicable == 1 ? " case)" : " cases)");
    }
    if (category.advisory > 0) detail += ", " + std::to_string(category.advisory) + " advisory not passed";
    std::fprintf(out, "  %-11s %s\n", std::string(category.name).c_str(), detail.c_str());
  }
}
}  // namespace

void print_summary(std::FILE* out, const RunRecord& record) {
  const auto& caps = record.adapter.capabilities;
  std::fprintf(out, "loopcert %s: %s (%s)\n", std::string(kLoopcertVersion).c_str(),
               record.adapter.name.c_str(), record.adapter.description.c_str());
  std::string categories = category_list(caps.categories);
  std::fprintf(out, "declares: %s; embedded: %s; clock resolution: %g s\n",
               categories.empty() ? "no optional category" : categories.c_str(), caps.embedded ? "yes" : "no",
               caps.clock_resolution);
  std::fprintf(out, "host: IPv6 loopback: %s\n\n", record.host.ipv6_loopback ? "yes" : "no");
  if (!record.runner.empty())
    std::fprintf(out, "runner: each case ran through the command %s (its host probed there)\n\n",
                 record.runner.c_str());
  if (!record.faults.empty())
    std::fprintf(out, "faults: the case processes ran under the fault shim (%s)\n\n", record.faults.c_str());
  print_table(out, record);
  print_findings(out, record);
  print_latency(out, record);
  if (record.gate) {
    std::fprintf(out, "\nexpectations: %s\n",
                 record.gate->green ? "every deviation was expected" : "NOT MET");
    for (const auto& problem : record.gate->problems) std::fprintf(out, "  %s\n", problem.c_str());
  }
  std::fprintf(out, "\n");
  for (const auto& reason : record.verdict.reasons) std::fprintf(out, "- %s\n", reason.c_str());
  print_categories(out, record);
  std::fprintf(out, "verdict: %s\n", std::string(verdict_name(record.verdict.kind)).c_str());
}

void Progress::finished(const CaseRun& run) {
  if (!enabled_) return;
  ++finished_;
  if (run.outcome == Outcome::pass || run.outcome == Outcome::quality_warning) {
    ++passed_;
  } else if (conformance::is_failure(run.outcome)) {
    ++failed_;
  } else {
    ++other_;
  }
  std::string outcome(conformance::outcome_name(run.outcome));
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %zu passed, %zu failed, %zu other  %s %s", finished_, total_,
                 passed_, failed_, other_, outcome.c_str(), run.meta.info->id.c_str());
  } else {
    std::fprintf(stderr, "[%zu/%zu] %s %s (%lld ms)\n", finished_, total_, outcome.c_str(),
                 run.meta.info->id.c_str(), static_cast<long long>(run.duration_ms));
  }
  std::fflush(stderr);
}

void Progress::done() {
  if (enabled_ && terminal_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace loopcert
