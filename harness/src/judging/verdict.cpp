#include "judging/verdict.hpp"

#include <algorithm>
#include <utility>

namespace loopcert {

using conformance::Outcome;

namespace {
/// "name, name, ..." (at most a few).
std::string listing(const std::vector<std::string>& items) {
  constexpr std::size_t kShown = 8;
  std::string text;
  for (std::size_t i = 0; i < items.size() && i < kShown; ++i) text += (i > 0 ? ", " : "") + items[i];
  if (items.size() > kShown) text += ", ... (" + std::to_string(items.size()) + " in all)";
  return text;
}

/// How a blocking case shows in a reason: "id", "id (TIMEOUT)", "id (FAIL, expected)".
std::string described(const CaseRun& run) {
  bool expected = run.expected && run.expected->outcome == run.outcome;
  if (run.outcome == Outcome::fail && !expected) return run.meta.info->id;
  return run.meta.info->id + " (" + std::string(conformance::outcome_name(run.outcome)) +
         (expected ? ", expected)" : ")");
}

/// "LOOP-X (MUST, required) failed: case, case": one reason per MUST clause
/// that a blocking case checks, in the order the cases name them.
std::vector<std::string> clause_reasons(const std::vector<CaseRun>& runs, const Registry& registry) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_clause;
  for (const CaseRun& run : runs) {
    if (!blocks_conformance(run)) continue;
    const char* what = run.outcome == Outcome::unresolved ? " unresolved: " : " failed: ";
    for (std::string_view id : run.meta.info->spec.clauses()) {
      const Clause* clause = registry.find(id);
      if (clause == nullptr || clause->level != Level::must) continue;
      std::string key = clause->id + " (MUST, " + std::string(tier_name(clause->tier)) + ")" + what;
      auto found =
          std::find_if(by_clause.begin(), by_clause.end(), [&](const auto& e) { return e.first == key; });
      if (found == by_clause.end()) found = by_clause.insert(by_clause.end(), {key, {}});
      found->second.push_back(described(run));
    }
  }
  std::vector<std::string> reasons;
  for (const auto& [key, cases] : by_clause) reasons.push_back(key + listing(cases));
  return reasons;
}
}  // namespace

std::string_view verdict_name(VerdictKind kind) noexcept {
  switch (kind) {
    case VerdictKind::conforming:
      return "conforming";
    case VerdictKind::partially_conforming:
      return "partially-conforming";
    case VerdictKind::non_conforming:
      return "non-conforming";
  }
  return "?";
}

bool blocks_conformance(const CaseRun& run) {
  if (run.meta.advisory || !loop_testable(run.meta.tier)) return false;
  return conformance::is_failure(run.outcome) || run.outcome == Outcome::unresolved;
}

Verdict decide_verdict(const std::vector<CaseRun>& runs, const pep3156::Capabilities& capabilities,
                       std::size_t cases_in_kit, const Registry& registry) {
  std::vector<std::string> advisory, slow;
  for (const CaseRun& run : runs) {
    if (blocks_conformance(run)) continue;
    if (conformance::is_failure(run.outcome) || run.outcome == Outcome::unresolved) {
      advisory.push_back(described(run));
    } else if (run.outcome == Outcome::quality_warning) {
      slow.push_back(run.meta.info->id);
    }
  }

  Verdict verdict;
  verdict.reasons = clause_reasons(runs, registry);
  if (verdict.reasons.empty()) {
    verdict.kind = capabilities.embedded ? VerdictKind::partially_conforming : VerdictKind::conforming;
    verdict.reasons.push_back(capabilities.embedded
                                  ? "every applicable case passed; as an embedded loop, its start, stop and "
                                    "close cases were not run (PEP 3156, \"Embedded Event Loops\")"
                                  : "every applicable case passed");
  }
  auto undeclared = static_cast<pep3156::Category>(
      ~static_cast<std::uint32_t>(capabilities.categories) &
      static_cast<std::uint32_t>(pep3156::Category::io_callbacks | pep3156::Category::pipes_subprocesses |
                                 pep3156::Category::signals));
  if (undeclared != pep3156::Category{}) {
    verdict.reasons.push_back("optional categories not declared: " + category_list(undeclared) +
                              " (checked to raise NotImplementedError instead)");
  }
  if (!advisory.empty()) {
    verdict.reasons.push_back(
        "advisory cases (no MUST clause, or an extension) that did not pass, not counted: " +
        listing(advisory));
  }
  if (!slow.empty()) verdict.reasons.push_back("over a latency budget (QUALITY_WARNING): " + listing(slow));
  if (runs.size() < cases_in_kit) {
    verdict.reasons.push_back("filters selected " + std::to_string(runs.size()) + " of the kit's " +
                              std::to_string(cases_in_kit) + " cases: this verdict covers those cases only");
  }
  return verdict;
}

}  // namespace loopcert
