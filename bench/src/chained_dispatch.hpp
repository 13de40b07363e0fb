// Probe 2's measurement (chained_dispatch.cpp), shared by every loop that
// runs it: the contract's, RawLoop, and the libraries' own APIs
// (bench/native/), so that their figures count the same thing.
#pragma once

#include <benchmark/benchmark.h>

namespace loopbench {

/// Callbacks per chain: each schedules the next, the last stops the loop.
constexpr int kChain = 1000;

/// Calls run_chain(kChain) once per benchmark iteration: it runs a chain of
/// that many callbacks on its loop and returns when the last has run. The
/// callbacks are the items counted.
template <class RunChain>
void measure_chains(benchmark::State& state, RunChain run_chain) {
  for (auto _ : state) run_chain(kChain);
  state.SetItemsProcessed(state.iterations() * kChain);
}

}  // namespace loopbench
