// Fuzz target: `loopcert compare`'s report reader. The input is two reports,
// OLD and NEW, split at the first NUL byte (no NUL: the input is both). Any
// input gives a comparison or an exception loopcert reports with exit
// status 2; a report compared with itself has no regression.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string_view>

#include "judging/compare.hpp"

namespace {
constexpr double kLatencyThreshold = 1.5;  // loopcert's default
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\0');
  std::string_view old_text = input.substr(0, split);
  std::string_view new_text = split == std::string_view::npos ? input : input.substr(split + 1);
  try {
    auto old_report = nlohmann::json::parse(old_text);
    auto new_report = nlohmann::json::parse(new_text);
    loopcert::compare_reports(old_report, new_report, kLatencyThreshold);
    if (!loopcert::compare_reports(new_report, new_report, kLatencyThreshold).regressions.empty())
      std::abort();
  } catch (const std::exception&) {
  }
  return 0;
}
