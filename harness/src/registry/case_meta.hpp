// What the registry says about a case: its level, tier and the categories
// it needs follow from the clauses it names (a case never restates them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conformance/case.hpp"
#include "pep3156/capabilities.hpp"
#include "registry/registry.hpp"

namespace loopcert {

struct CaseMeta {
  const conformance::CaseInfo* info = nullptr;
  /// The strongest level among its clauses.
  Level level = Level::may;
  /// The most demanding tier among its clauses (optional-* first).
  Tier tier = Tier::extra;
  /// No MUST clause, or an extension: a failure is a warning, never
  /// non-conformance.
  bool advisory = true;
  /// The decision whose reading beyond the PEP's text the case asserts
  /// (.extension()); empty otherwise.
  std::string extension;
  /// Names a required-except-embedded clause: skipped for embedded loops.
  bool exempt_if_embedded = false;
  /// Optional categories the loop must declare (from the tiers, plus needs()).
  pep3156::Category needs{};
  /// The clause IDs the registry does not know (the lint reports them).
  std::vector<std::string> unknown_clauses;
};

CaseMeta describe_case(const conformance::CaseInfo& info, const Registry& registry);

/// Why the case does not apply to a loop with these capabilities on this
/// host (registry/host.hpp: on_host()); it is then UNSUPPORTED without
/// running. Nothing if it applies.
std::optional<std::string> inapplicable_reason(const CaseMeta& meta,
                                               const pep3156::Capabilities& capabilities);

/// "io,signals": the categories set in `set`, by their command-line names.
std::string category_list(pep3156::Category set);
/// Every category, in bit order.
const std::vector<pep3156::Category>& all_categories();

}  // namespace loopcert
