// The per-category view: where a loop stands in each of the PEP's
// categories ("Event Loop Methods Overview"), so that the author of an
// unfinished adapter reads "core: conforming, networking: not implemented"
// rather than 150 failures. It never changes the verdict, which stays the
// PEP's (verdict.hpp): networking and TLS are required, and only the
// optional categories may be left out.
//
// A case's category follows from its ID (the suite, and for a few cases
// more of the ID), by the first row of kRules (categories.cpp) that
// matches; harness/README.md, "Per-category results", lists the rows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "running/results.hpp"

namespace loopcert {

/// The categories, in the order the summary and the reports show them.
const std::vector<std::string_view>& pep_category_names();

/// The category a case belongs to (one of pep_category_names()).
std::string_view pep_category_of(std::string_view case_id);

enum class Standing {
  conforming,       // every applicable case passed (advisory ones aside, as for the verdict)
  not_implemented,  // every applicable non-advisory case failed, first with a NotImplementedError from the
                    // loop
  failing,          // some applicable non-advisory cases did not pass
  unsupported,      // no case applies: the category is not declared, or the host lacks it
};

std::string_view standing_name(Standing standing) noexcept;  // "conforming", "not-implemented", ...

struct CategoryResult {
  std::string_view name;
  Standing standing = Standing::unsupported;
  int cases = 0;       // selected by the filters
  int applicable = 0;  // not UNSUPPORTED
  int passed = 0;      // PASS or QUALITY_WARNING
  int failing = 0;     // applicable, non-advisory, did not pass (as the verdict counts them)
  int advisory = 0;    // advisory cases that did not pass (never counted)
  /// For an unsupported category, why (the first case's reason).
  std::string reason;
};

/// "conforming", "not implemented", "failing (3 of 40)", "unsupported".
std::string describe(const CategoryResult& result);

/// Every category that has at least one of `runs`, in display order.
std::vector<CategoryResult> category_results(const std::vector<CaseRun>& runs);

}  // namespace loopcert
