// The clause lint and the coverage table, both computed from the registry
// and the cases linked into loopcert, never kept by hand.
//
// The lint fails on:
//   - a case ID that is not dotted lower-case, or that two cases share;
//   - a case naming no clause, an unknown clause, a clause the PEP makes
//     untestable, a draft-only clause, or an `extra`-tier clause;
//   - a case naming only MAY clauses without .tolerance() (a permission is
//     never asserted one way), or a tolerance case naming no MAY clause;
//   - a MUST clause of a loop-testable tier with no case, unless it is on
//     the allow-uncovered list; that list may only shrink: an entry that is
//     covered now, or that is not an uncovered MUST clause, fails too.
// MUST clauses qualified "caller" oblige the code using the loop, not the
// loop, and need no case.
//
// With the cases' sources (loopcert lint --sources DIR) it also fails on two
// cases whose bodies are the same once comments and layout are set aside:
// the second checks nothing the first does not.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/case.hpp"
#include "registry/registry.hpp"

namespace loopcert {

/// Clause IDs, one per line; '#' starts a comment. Throws std::runtime_error.
std::set<std::string> load_clause_list(const std::string& path);

/// The problems found (empty: the lint passes).
std::vector<std::string> lint_cases(const std::vector<conformance::CaseInfo>& cases, const Registry& registry,
                                    const std::optional<std::set<std::string>>& allow_uncovered);

/// MUST clauses of loop-testable tiers (not "caller") that no case names.
std::vector<std::string> uncovered_must_clauses(const std::vector<conformance::CaseInfo>& cases,
                                                const Registry& registry);

/// One LOOPCERT_CASE as written in a source file.
struct CaseBody {
  std::string id;
  std::string where;  // file:line of the LOOPCERT_CASE
  std::string text;   // the body, comments dropped, each run of white space one space
};

/// The LOOPCERT_CASE bodies in `source` (the text of `file`), found by
/// matching braces in code only (not in comments, string or character
/// literals). Throws std::runtime_error on a case it cannot read.
std::vector<CaseBody> case_bodies(std::string_view source, const std::string& file);

/// case_bodies() of every *.cpp file in `directory`. Throws std::runtime_error.
std::vector<CaseBody> case_bodies_in(const std::string& directory);

/// Every pair of cases with the same body, and every registered case whose
/// body is not among `bodies` (the sources given are not the kit's).
std::vector<std::string> lint_case_bodies(const std::vector<conformance::CaseInfo>& cases,
                                          const std::vector<CaseBody>& bodies);

/// The allow-uncovered list as a file: a header comment and one ID a line.
std::string uncovered_list_text(const std::vector<std::string>& uncovered);

/// conformance/COVERAGE.md: clause -> cases, in registry order.
std::string coverage_markdown(const std::vector<conformance::CaseInfo>& cases, const Registry& registry);

}  // namespace loopcert
