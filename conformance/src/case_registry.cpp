// The registry of cases: filled by LOOPCERT_CASE's static registrars
// before main() runs.
#include "conformance/case.hpp"

namespace conformance {

namespace {
// A function-local static, so that registrars in any translation unit may
// run before this file's own static initialisers.
std::vector<CaseInfo>& cases() {
  static std::vector<CaseInfo> all;
  return all;
}
}  // namespace

const std::vector<CaseInfo>& registered_cases() { return cases(); }

const CaseInfo* find_case(std::string_view id) {
  for (const CaseInfo& info : cases()) {
    if (info.id == id) return &info;
  }
  return nullptr;
}

CaseRegistrar::CaseRegistrar(const char* id, CaseSpec spec, CaseBody body, const char* file, int line) {
  cases().push_back(CaseInfo{id, std::move(spec), body, file, line});
}

}  // namespace conformance
