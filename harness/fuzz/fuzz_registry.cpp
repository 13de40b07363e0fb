// Fuzz target: the clause registry loader (spec/clauses.json's reader).
// Any text gives a registry or an exception; every clause of an accepted
// registry can be found by its ID.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "registry/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto registry = loopcert::Registry::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    for (const loopcert::Clause& clause : registry.clauses()) {
      if (registry.find(clause.id) != &clause) std::abort();
    }
  } catch (const std::exception&) {
  }
  return 0;
}
