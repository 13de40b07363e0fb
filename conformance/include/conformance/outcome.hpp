// The outcome of one case (the report's "rawStatus").
//
// Beyond pass and fail, as web-platform-tests and the Open POSIX Test Suite
// do: a case that crashed or hung is not the same finding as a failed
// assertion, and a case that could not run on this loop (UNSUPPORTED) or
// could not decide (UNRESOLVED) is neither a pass nor a fail.
#pragma once

#include <optional>
#include <string_view>

namespace conformance {

enum class Outcome {
  pass,             // every check held
  fail,             // a check failed, the case threw, or it leaked an fd
  timeout,          // the runner killed the case after its hard timeout
  crash,            // the case process died (signal, abort, exit without a result)
  unsupported,      // the loop does not declare a capability the case needs
  unresolved,       // the case could not decide (its environment got in the way)
  quality_warning,  // passed, but a latency probe went over its budget
};

/// "PASS", "FAIL", "TIMEOUT", "CRASH", "UNSUPPORTED", "UNRESOLVED", "QUALITY_WARNING".
std::string_view outcome_name(Outcome outcome) noexcept;
std::optional<Outcome> parse_outcome(std::string_view name) noexcept;

/// True for the outcomes that count against conformance.
constexpr bool is_failure(Outcome outcome) noexcept {
  return outcome == Outcome::fail || outcome == Outcome::timeout || outcome == Outcome::crash;
}

}  // namespace conformance
