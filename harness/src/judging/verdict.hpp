// The verdict, by the PEP's own tiers (PEP 3156, "Event Loop Methods
// Overview" and "Embedded Event Loops"):
//   conforming            every applicable non-advisory case passed, and
//                         each optional category either passed or was not
//                         declared (its cases then checked NotImplementedError);
//   partially-conforming  the same, for an embedded loop, whose start, stop
//                         and close cases were not run: the most the PEP
//                         allows such a loop;
//   non-conforming        a non-advisory case failed, timed out, crashed or
//                         could not be resolved.
// Advisory (SHOULD-only) failures and latency never change the verdict;
// they are listed among its reasons.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "registry/registry.hpp"
#include "running/results.hpp"

namespace loopcert {

enum class VerdictKind { conforming, partially_conforming, non_conforming };

struct Verdict {
  VerdictKind kind = VerdictKind::non_conforming;
  std::vector<std::string> reasons;
};

std::string_view verdict_name(VerdictKind kind) noexcept;  // "conforming", ...

/// `cases_in_kit` > runs.size() means filters left some cases out. The
/// reasons name each MUST clause a failed case checks, as
/// "LOOP-X (MUST, tier) failed: case (OUTCOME[, expected])".
Verdict decide_verdict(const std::vector<CaseRun>& runs, const pep3156::Capabilities& capabilities,
                       std::size_t cases_in_kit, const Registry& registry);

/// Counts against conformance: a non-advisory case that did not pass.
bool blocks_conformance(const CaseRun& run);

}  // namespace loopcert
