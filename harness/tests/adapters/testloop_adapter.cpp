// An adapter over spec/cpp/tests' TestLoop, for loopcert's own tests only: it
// lets the runner be tested without the reference loop. TestLoop has a
// virtual clock and no I/O, which is exactly what its expectations file
// (harness/expectations/testloop.json) records.
#include "pep3156/adapter.hpp"
#include "test_loop.hpp"

namespace {

std::shared_ptr<pep3156::AbstractEventLoop> make_test_loop() { return pep3156::testing::TestLoop::create(); }

const pep3156::Adapter kAdapters[] = {{
    .contract_version = pep3156::kAdapterContractVersion,
    .name = "testloop",
    .description = "spec/cpp/tests TestLoop (virtual clock, no I/O); for loopcert's own tests",
    .capabilities = {},
    .make_loop = &make_test_loop,
    .make_policy = nullptr,
}};

const pep3156::AdapterList kList{pep3156::kAdapterContractVersion, kAdapters, 1};

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() { return &kList; }
