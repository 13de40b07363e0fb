// An adapter whose library, like libuv with its signal pipe, opens a
// descriptor once per process and keeps it until exit, for loopcert's own
// tests of Adapter::prepare_process and the fd-leak check
// (LOOP-CLOSE-RELEASES):
//   "prepared"    opens it in prepare_process(): not a leak, the case passes;
//   "unprepared"  has no prepare_process(), so make_loop() opens it in the
//                 middle of the case and close() never releases it: a leak.
// Both loops are spec/cpp/tests' TestLoop.
#include <fcntl.h>

#include "pep3156/adapter.hpp"
#include "test_loop.hpp"

namespace {

int process_resource = -1;

void open_process_resource() {
  if (process_resource < 0) process_resource = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

std::shared_ptr<pep3156::AbstractEventLoop> make_loop() {
  open_process_resource();  // the library's first loop opens it, if nothing did before
  return pep3156::testing::TestLoop::create();
}

const pep3156::Adapter kAdapters[] = {
    {.name = "prepared",
     .description = "TestLoop; a per-process descriptor opened by prepare_process()",
     .make_loop = &make_loop,
     .prepare_process = &open_process_resource},
    {.name = "unprepared",
     .description = "TestLoop; the same descriptor, opened by the first make_loop()",
     .make_loop = &make_loop},
};

const pep3156::AdapterList kList{pep3156::kAdapterContractVersion, kAdapters, std::size(kAdapters)};

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() { return &kList; }
