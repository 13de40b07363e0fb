// Fuzz target: the expectations reader (--expectations FILE). Any text
// gives expectations or an exception loopcert reports with exit status 2;
// an accepted entry expects a failing outcome and gives a reason.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "judging/expectations.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const loopcert::AdapterInfo adapter{
      "epoll", "the reference loop", "libloopcert_reference_adapter.so", {}};
  loopcert::Expectations expectations;
  try {
    expectations =
        loopcert::parse_expectations(std::string_view(reinterpret_cast<const char*>(data), size), adapter);
  } catch (const std::exception&) {
    return 0;
  }
  for (const auto& [id, expectation] : expectations) {
    if (expectation.reason.empty() || expectation.outcome == conformance::Outcome::pass) std::abort();
  }
  return 0;
}
