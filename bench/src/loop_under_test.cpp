#include "loop_under_test.hpp"

namespace loopbench {

namespace {
const pep3156::Adapter* chosen = nullptr;
}

void set_adapter(const pep3156::Adapter& adapter) {
  chosen = &adapter;
  if (adapter.prepare_process != nullptr) adapter.prepare_process();
}

const pep3156::Adapter& adapter() { return *chosen; }

FreshLoop::FreshLoop() : loop_(chosen->make_loop()) {}

FreshLoop::~FreshLoop() { loop_->close(); }

bool require_io_callbacks(benchmark::State& state) {
  if (has(chosen->capabilities.categories, pep3156::Category::io_callbacks)) return true;
  state.SkipWithError("the loop does not implement add_reader() (no Category::io_callbacks)");
  return false;
}

}  // namespace loopbench
