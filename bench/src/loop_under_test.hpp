// The loop loopbench measures: one adapter (spec/cpp/include/pep3156/adapter.hpp),
// chosen on the command line, from which every probe makes fresh loops.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>

#include "pep3156/adapter.hpp"

namespace loopbench {

/// Called once by main(), before any benchmark runs.
void set_adapter(const pep3156::Adapter& adapter);
const pep3156::Adapter& adapter();

/// A fresh loop from the adapter, closed when this object goes away (after
/// the benchmark, so the close is not measured).
class FreshLoop {
 public:
  FreshLoop();
  ~FreshLoop();
  FreshLoop(const FreshLoop&) = delete;
  FreshLoop& operator=(const FreshLoop&) = delete;

  pep3156::AbstractEventLoop& operator*() const noexcept { return *loop_; }
  pep3156::AbstractEventLoop* operator->() const noexcept { return loop_.get(); }

 private:
  std::shared_ptr<pep3156::AbstractEventLoop> loop_;
};

/// False, with the benchmark skipped and the reason given, if the loop
/// does not implement add_reader() (Category::io_callbacks is optional).
bool require_io_callbacks(benchmark::State& state);

}  // namespace loopbench
