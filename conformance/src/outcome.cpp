#include "conformance/outcome.hpp"

#include <array>
#include <utility>

namespace conformance {

namespace {
constexpr std::array<std::pair<Outcome, std::string_view>, 7> kNames{{
    {Outcome::pass, "PASS"},
    {Outcome::fail, "FAIL"},
    {Outcome::timeout, "TIMEOUT"},
    {Outcome::crash, "CRASH"},
    {Outcome::unsupported, "UNSUPPORTED"},
    {Outcome::unresolved, "UNRESOLVED"},
    {Outcome::quality_warning, "QUALITY_WARNING"},
}};
}  // namespace

std::string_view outcome_name(Outcome outcome) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == outcome) return name;
  }
  return "UNKNOWN";
}

std::optional<Outcome> parse_outcome(std::string_view name) noexcept {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

}  // namespace conformance
