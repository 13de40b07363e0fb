#include "judging/compare.hpp"

#include <cstdio>
#include <map>

#include "json_integer.hpp"
#include "judging/budgets.hpp"

namespace loopcert {

using nlohmann::json;

namespace {
/// Tests keyed by case ID (extra.caseId; the name in reports older than it),
/// so that reports of two loops compare case by case.
std::map<std::string, json> tests_by_case_id(const json& report) {
  std::map<std::string, json> tests;
  for (const auto& test : report.at("results").at("tests")) {
    const json& id =
        test.contains("extra") ? test["extra"].value("caseId", test.at("name")) : test.at("name");
    tests[id.get<std::string>()] = test;
  }
  return tests;
}

const json& loopcert_extra(const json& report) { return report.at("results").at("extra").at("loopcert"); }

std::string raw_status(const json& test) { return test.value("rawStatus", test.value("status", "?")); }

bool passed(const json& test) { return test.at("status").get<std::string>() == "passed"; }

int verdict_rank(const std::string& verdict) {
  return verdict == "conforming" ? 2 : verdict == "partially-conforming" ? 1 : 0;
}

void compare_cases(const json& old_report, const json& new_report, Comparison& c) {
  auto before = tests_by_case_id(old_report);
  auto after = tests_by_case_id(new_report);
  for (const auto& [name, old_test] : before) {
    auto now = after.find(name);
    if (now == after.end()) {
      if (passed(old_test)) c.regressions.push_back("case " + name + " passed before and is gone now");
      continue;
    }
    if (passed(old_test) && !passed(now->second)) {
      c.regressions.push_back("case " + name + " passed before, now " + raw_status(now->second) + ": " +
                              now->second.value("message", ""));
    } else if (!passed(old_test) && passed(now->second)) {
      c.other_changes.push_back("case " + name + " was " + raw_status(old_test) + ", passes now");
    } else if (raw_status(old_test) != raw_status(now->second)) {
      c.other_changes.push_back("case " + name + ": " + raw_status(old_test) + " -> " +
                                raw_status(now->second));
    }
  }
  for (const auto& [name, new_test] : after) {
    if (before.count(name) == 0) c.other_changes.push_back("new case " + name + ": " + raw_status(new_test));
  }
}

void compare_clauses(const json& old_report, const json& new_report, Comparison& c) {
  const json& before = loopcert_extra(old_report).value("clauses", json::object());
  const json& after = loopcert_extra(new_report).value("clauses", json::object());
  for (const auto& [id, clause] : before.items()) {
    if (clause.value("cases", json::array()).empty()) continue;
    auto now = after.find(id);
    if (now == after.end() || now->value("cases", json::array()).empty()) {
      c.regressions.push_back("clause " + id + " lost its coverage (checked before by " +
                              clause.at("cases").dump() + ")");
    }
  }
}

void compare_latency(const json& old_report, const json& new_report, double threshold, Comparison& c) {
  const json& before = loopcert_extra(old_report).value("latency", json::object());
  const json& after = loopcert_extra(new_report).value("latency", json::object());
  for (const auto& [probe, old_stats] : before.items()) {
    auto now = after.find(probe);
    if (now == after.end()) continue;
    for (const char* stat : {"p50", "p99"}) {
      auto was = json_integer_or<std::int64_t>(old_stats, stat, 0);
      auto is = json_integer_or<std::int64_t>(*now, stat, 0);
      if (was <= 0) continue;
      double factor = static_cast<double>(is) / static_cast<double>(was);
      char ratio[32];
      std::snprintf(ratio, sizeof ratio, "x%.2f", factor);
      std::string line = "latency " + probe + " " + stat + ": " + format_ns(was) + " -> " + format_ns(is) +
                         " (" + ratio + ")";
      if (factor > threshold) {
        char limit[32];
        std::snprintf(limit, sizeof limit, "x%.2f", threshold);
        c.regressions.push_back(line + ", past the threshold of " + limit);
      } else if (factor < 1.0 / threshold) {
        c.other_changes.push_back(line);
      }
    }
  }
}
}  // namespace

Comparison compare_reports(const json& old_report, const json& new_report, double latency_threshold) {
  Comparison c;
  std::string old_verdict = loopcert_extra(old_report).value("verdict", "?");
  std::string new_verdict = loopcert_extra(new_report).value("verdict", "?");
  if (old_verdict != new_verdict) {
    std::string line = "verdict: " + old_verdict + " -> " + new_verdict;
    (verdict_rank(new_verdict) < verdict_rank(old_verdict) ? c.regressions : c.other_changes).push_back(line);
  }
  compare_cases(old_report, new_report, c);
  compare_clauses(old_report, new_report, c);
  compare_latency(old_report, new_report, latency_threshold, c);
  return c;
}

}  // namespace loopcert
