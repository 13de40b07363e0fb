// An adapter built against a contract version loopcert does not speak:
// loopcert must refuse it (exit status 2) and say why.
#include "pep3156/adapter.hpp"

namespace {
const pep3156::AdapterList kFromTheFuture{pep3156::kAdapterContractVersion + 1, nullptr, 0};
}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() { return &kFromTheFuture; }
