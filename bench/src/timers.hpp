// Probe 3's parts (timers.cpp), shared by every loop that runs
// timers_fired: the contract's call_at(), the baseline's heap, and the
// libraries' own timers (bench/native/), so that each fires the same
// timers and counts them the same way.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

namespace loopbench {

/// Registers "timers_fired/<variant>/N" for N from 1e3 to 1e6.
benchmark::internal::Benchmark* timers_fired_probe(const char* variant, void (*body)(benchmark::State&));

/// How long before "now" each of `count` timers is due, in seconds (all
/// within the last 10 ms), in a fixed pseudo-random order: the same for
/// every loop.
std::vector<double> spread_deadlines(std::int64_t count);
/// The same in nanoseconds.
std::vector<std::int64_t> spread_deadlines_ns(std::int64_t count);

/// After the iterations: the timers are the items, and the benchmark fails
/// unless every timer of the last iteration fired (`fired` of range(0)).
void count_timers_fired(benchmark::State& state, std::int64_t fired);

}  // namespace loopbench
