// Fuzz target: the budget file reader (--budget-file, one probe.stat=value
// per line). Any text gives budgets or std::runtime_error, which loopcert
// reports with exit status 2; an accepted budget is a duration a probe can
// be measured against (not negative).
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "judging/budgets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  loopcert::Budgets budgets;
  try {
    loopcert::parse_budget_lines(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz",
                                 budgets);
  } catch (const std::runtime_error&) {
    return 0;
  }
  for (const auto& [probe, stats] : budgets) {
    for (const auto& [stat, limit] : stats) {
      if (limit < 0) std::abort();
    }
  }
  return 0;
}
