// Latency budgets: `probe.stat=value` with a unit, e.g.
//   call_soon_dispatch.p99=50us   timer_lateness.max=2ms
// given with --budget or, one per line ('#' starts a comment), in a
// --budget-file. A probe over its budget makes its case QUALITY_WARNING:
// correct but slow, reported, never a failure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "running/results.hpp"

namespace loopcert {

/// probe -> stat -> nanoseconds.
using Budgets = std::map<std::string, std::map<std::string, std::int64_t>>;

/// Adds one "probe.stat=value" to `budgets`; throws std::invalid_argument.
void parse_budget(std::string_view text, Budgets& budgets);
/// Adds every line of a budget file; throws std::runtime_error.
void load_budget_file(const std::string& path, Budgets& budgets);
/// The same from the file's text; messages start with `origin:line:`.
void parse_budget_lines(std::string_view text, const std::string& origin, Budgets& budgets);

/// Throws std::invalid_argument when a budget names a probe the kit does
/// not measure (a misspelling would otherwise never apply). The kit's
/// probes are those of its latency cases: `latency.<probe>`.
void check_budget_probes(const Budgets& budgets);

/// "850ns", "50us", "2.5ms", "1.2s": a duration for people.
std::string format_ns(std::int64_t ns);

/// Attaches budgets to the runs' probes; a passed case with a probe over
/// budget becomes QUALITY_WARNING. Returns the budgets no probe used.
std::vector<std::string> apply_budgets(const Budgets& budgets, std::vector<CaseRun>& runs);

}  // namespace loopcert
