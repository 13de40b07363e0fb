// The probes, one file each, in the order of bench/README.md. Each file
// registers its probe and the probe's baseline as "PROBE/loop" and
// "PROBE/baseline" (with "/SIZE" after when it has sizes); bench/report.py
// pairs them by those names. call_soon_batch and timers_fired add
// "PROBE/handle_alone" (with the size after it for timers_fired), which
// report.py shows as a row of its own under the loop's.
#pragma once

#include <benchmark/benchmark.h>

namespace loopbench {

void register_call_soon_batch();   // 1
void register_chained_dispatch();  // 2, and 7: the idle fds
void register_timers();            // 3
void register_timer_lateness();    // 4
void register_ping_pong();         // 5, over a socketpair and over TCP
void register_wake_up();           // 6
void register_echo();              // 8
void register_idle_memory();       // 9

/// From now on, probe() gives every probe exactly `iterations` iterations
/// per repetition instead of as many as --benchmark_min_time asks for: for
/// counting instructions (valgrind --tool=callgrind), which wants a run
/// that is the same every time.
void set_fixed_iterations(benchmark::IterationCount iterations);

/// Registers `body` under `name`. An exception out of it (the loop
/// refusing something) skips that benchmark with the exception's message,
/// and the other probes still run.
benchmark::internal::Benchmark* probe(const char* name, void (*body)(benchmark::State&));

}  // namespace loopbench
