#include "lint.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <stdexcept>

namespace loopcert {

namespace {
/// Clause ID -> the cases naming it, in case-ID order.
std::map<std::string, std::vector<std::string>> cases_by_clause(
    const std::vector<conformance::CaseInfo>& cases) {
  std::map<std::string, std::vector<std::string>> by_clause;
  std::vector<const conformance::CaseInfo*> sorted;
  for (const auto& info : cases) sorted.push_back(&info);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const auto* info : sorted) {
    for (std::string_view id : info->spec.clauses()) by_clause[std::string(id)].push_back(info->id);
  }
  return by_clause;
}

bool needs_a_case(const Clause& clause) {
  return clause.level == Level::must && loop_testable(clause.tier) && !clause.has_qualifier("caller");
}

std::string where(const conformance::CaseInfo& info) {
  return std::string(info.file) + ":" + std::to_string(info.line) + ": case " + info.id;
}

void lint_one(const conformance::CaseInfo& info, const Registry& registry,
              std::vector<std::string>& problems) {
  static const std::regex kCaseId("^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$");
  if (!std::regex_match(info.id, kCaseId)) {
    problems.push_back(where(info) + ": the ID must be dotted lower-case (suite.subject.behaviour)");
  }
  if (info.spec.clauses().empty()) problems.push_back(where(info) + ": names no clause");
  bool any_may = false;
  bool only_may = true;
  for (std::string_view id : info.spec.clauses()) {
    std::string name(id);
    if (registry.is_untestable(id)) {
      problems.push_back(where(info) + ": " + name + " is normative but not testable; no case may assert it");
      continue;
    }
    if (registry.is_draft_only(id)) {
      problems.push_back(where(info) + ": " + name + " is in the seed draft only; no case may assert it");
      continue;
    }
    const Clause* clause = registry.find(id);
    if (clause == nullptr) {
      problems.push_back(where(info) + ": unknown clause " + name);
      continue;
    }
    if (!loop_testable(clause->tier)) {
      problems.push_back(where(info) + ": " + name + " is outside loop conformance (tier extra)");
    }
    any_may |= clause->level == Level::may;
    only_may &= clause->level == Level::may;
  }
  if (only_may && !info.spec.clauses().empty() && !info.spec.is_tolerance()) {
    problems.push_back(
        where(info) +
        ": names only MAY clauses; mark it .tolerance() and assert that every allowed behaviour "
        "is accepted");
  }
  if (info.spec.is_tolerance() && !any_may) {
    problems.push_back(where(info) + ": is marked .tolerance() but names no MAY clause");
  }
}
}  // namespace

std::set<std::string> load_clause_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::set<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    ids.insert(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
  }
  return ids;
}

std::vector<std::string> uncovered_must_clauses(const std::vector<conformance::CaseInfo>& cases,
                                                const Registry& registry) {
  auto covered = cases_by_clause(cases);
  std::vector<std::string> uncovered;
  for (const Clause& clause : registry.clauses()) {
    if (needs_a_case(clause) && covered.count(clause.id) == 0) uncovered.push_back(clause.id);
  }
  return uncovered;
}

std::vector<std::string> lint_cases(const std::vector<conformance::CaseInfo>& cases, const Registry& registry,
                                    const std::optional<std::set<std::string>>& allow_uncovered) {
  std::vector<std::string> problems;
  std::map<std::string, const conformance::CaseInfo*> seen;
  for (const auto& info : cases) {
    auto [first, inserted] = seen.emplace(info.id, &info);
    if (!inserted)
      problems.push_back(where(info) + ": duplicate case ID (also at " + where(*first->second) + ")");
    lint_one(info, registry, problems);
  }
  auto uncovered = uncovered_must_clauses(cases, registry);
  std::set<std::string> allowed = allow_uncovered.value_or(std::set<std::string>{});
  for (const auto& id : uncovered) {
    if (allowed.count(id) == 0) problems.push_back("MUST clause " + id + " has no case");
  }
  auto covered = cases_by_clause(cases);
  for (const auto& id : allowed) {
    const Clause* clause = registry.find(id);
    if (clause == nullptr || !needs_a_case(*clause)) {
      problems.push_back("allow-uncovered list: " + id +
                         " is not a MUST clause the kit must cover; delete it");
    } else if (covered.count(id) > 0) {
      std::string by;
      for (const auto& c : covered[id]) by += (by.empty() ? "" : ", ") + c;
      problems.push_back("allow-uncovered list: " + id + " is covered now (by " + by + "); delete it");
    }
  }
  return problems;
}

std::string uncovered_list_text(const std::vector<std::string>& uncovered) {
  std::string text =
      "# MUST clauses of loop-testable tiers that no case checks yet.\n"
      "# Generated by `loopcert uncovered`; the lint (`loopcert lint --allow-uncovered\n"
      "# this-file`) fails on any uncovered clause missing here and on any entry that\n"
      "# is covered now: this list may only shrink.\n";
  for (const auto& id : uncovered) text += id + "\n";
  return text;
}

std::string coverage_markdown(const std::vector<conformance::CaseInfo>& cases, const Registry& registry) {
  auto covered = cases_by_clause(cases);
  std::map<std::string, std::pair<int, int>> by_tier;  // tier -> (MUST covered, MUST total)
  std::string rows;
  for (const Clause& clause : registry.clauses()) {
    if (!loop_testable(clause.tier)) continue;
    auto found = covered.find(clause.id);
    std::string list;
    if (found != covered.end()) {
      for (const auto& c : found->second) list += (list.empty() ? "" : "<br>") + ("`" + c + "`");
    } else {
      list = needs_a_case(clause) ? "**none**" : "none";
    }
    std::string level(level_name(clause.level));
    for (const auto& q : clause.qualifiers) level += " (" + q + ")";
    rows += "| " + clause.area + " | `" + clause.id + "` | " + level + " | " +
            std::string(tier_name(clause.tier)) + " | " + list + " |\n";
    if (needs_a_case(clause)) {
      auto& [done, total] = by_tier[std::string(tier_name(clause.tier))];
      ++total;
      done += found != covered.end() ? 1 : 0;
    }
  }
  std::string text =
      "# Conformance coverage\n\n"
      "Generated by `loopcert coverage > conformance/COVERAGE.md` from the clause registry\n"
      "(`spec/clauses.json`) and the kit's cases; never edit it by hand (a test checks it is\n"
      "up to date).\n\n"
      "Registry: " +
      registry.source() + ". Cases: " + std::to_string(cases.size()) + ".\n\n";
  text += "| Tier | MUST clauses with a case |\n|---|---|\n";
  for (const auto& [tier, counts] : by_tier) {
    text +=
        "| " + tier + " | " + std::to_string(counts.first) + " of " + std::to_string(counts.second) + " |\n";
  }
  text += "\n| Area | Clause | Level | Tier | Cases |\n|---|---|---|---|---|\n" + rows;
  return text;
}

}  // namespace loopcert
