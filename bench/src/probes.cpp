#include "probes.hpp"

#include <exception>

namespace loopbench {

namespace {
benchmark::IterationCount fixed_iterations = 0;  // 0: as many as min_time asks for
}

void set_fixed_iterations(benchmark::IterationCount iterations) { fixed_iterations = iterations; }

benchmark::internal::Benchmark* probe(const char* name, void (*body)(benchmark::State&)) {
  auto* registered = benchmark::RegisterBenchmark(name, [body](benchmark::State& state) {
    try {
      body(state);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  });
  if (fixed_iterations > 0) registered->Iterations(fixed_iterations);
  return registered;
}

}  // namespace loopbench
