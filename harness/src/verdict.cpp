#include "verdict.hpp"

namespace loopcert {

using conformance::Outcome;

namespace {
/// "failed (3): a, b, c" (at most a few names).
std::string listing(const std::string& what, const std::vector<std::string>& ids) {
  constexpr std::size_t kShown = 8;
  std::string text = what + " (" + std::to_string(ids.size()) + "): ";
  for (std::size_t i = 0; i < ids.size() && i < kShown; ++i) text += (i > 0 ? ", " : "") + ids[i];
  if (ids.size() > kShown) text += ", ...";
  return text;
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
                       std::size_t cases_in_kit) {
  std::vector<std::string> failed, unresolved, advisory, slow;
  for (const CaseRun& run : runs) {
    const std::string& id = run.meta.info->id;
    if (blocks_conformance(run)) {
      (run.outcome == Outcome::unresolved ? unresolved : failed).push_back(id);
    } else if (conformance::is_failure(run.outcome) || run.outcome == Outcome::unresolved) {
      advisory.push_back(id);
    } else if (run.outcome == Outcome::quality_warning) {
      slow.push_back(id);
    }
  }

  Verdict verdict;
  if (!failed.empty()) verdict.reasons.push_back(listing("cases deciding conformance that failed", failed));
  if (!unresolved.empty())
    verdict.reasons.push_back(listing("cases deciding conformance that were unresolved", unresolved));
  if (failed.empty() && unresolved.empty()) {
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
  if (!advisory.empty())
    verdict.reasons.push_back(listing("advisory (SHOULD or MAY) cases that did not pass", advisory));
  if (!slow.empty())
    verdict.reasons.push_back(listing("cases over a latency budget (QUALITY_WARNING)", slow));
  if (runs.size() < cases_in_kit) {
    verdict.reasons.push_back("filters selected " + std::to_string(runs.size()) + " of the kit's " +
                              std::to_string(cases_in_kit) + " cases: this verdict covers those cases only");
  }
  return verdict;
}

}  // namespace loopcert
