#include "mutant.hpp"

namespace conformance::selftest {

namespace {
std::vector<Mutant>& all() {
  static std::vector<Mutant> list;
  return list;
}
}  // namespace

const std::vector<Mutant>& mutants() { return all(); }

MutantRegistrar::MutantRegistrar(Mutant mutant) { all().push_back(std::move(mutant)); }

}  // namespace conformance::selftest
