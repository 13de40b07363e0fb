// Probe 8, TCP echo: the loop under test serves echo (create_server() and
// a protocol writing back what it receives) to loopbench_echo_load, a
// separate process on raw epoll (echo_load.cpp), which keeps one
// kMessage-byte message in flight on each of N connections (1 to 1,000).
// Per round trip (the inverse of the throughput), with the round trips'
// latency percentiles (p50_us, p99_us) as counters.
//
// Baseline: a raw epoll echo server (RawEchoServer) on a thread, under the
// same generator.
#include <benchmark/benchmark.h>

#include "echo_load_process.hpp"
#include "echo_server.hpp"
#include "fd_limit.hpp"
#include "loop_thread.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"

namespace loopbench {
namespace {

constexpr std::size_t kMessage = 64;

/// Round trips per benchmark iteration: enough for every connection to make
/// ten, so that the connections' start and end are a small part.
long round_trips_for(long connections) { return 1000 + 10 * connections; }

void drive(benchmark::State& state, EchoLoad& load) {
  const long round_trips = round_trips_for(state.range(0));
  for (auto _ : state) state.SetIterationTime(load.run(round_trips));
  EchoLoad::Latency latency = load.finish();
  state.counters["p50_us"] = latency.p50_us;
  state.counters["p99_us"] = latency.p99_us;
  state.SetItemsProcessed(state.iterations() * round_trips);
}

void echo_loop(benchmark::State& state) {
  if (!require_fds(state, state.range(0))) return;
  FreshLoop loop;
  LoopEchoServer server(*loop);
  EchoLoad load(server.port(), state.range(0), kMessage);
  LoopThread running(*loop);
  drive(state, load);
}

void echo_baseline(benchmark::State& state) {
  if (!require_fds(state, state.range(0))) return;
  RawEchoServer server;
  EchoLoad load(server.port(), state.range(0), kMessage);
  RawEchoThread running(server);
  drive(state, load);
}

}  // namespace

void register_echo() {
  // The generator's clock: the time the round trips took, not the set-up.
  auto connections = [](benchmark::internal::Benchmark* echo) {
    echo->RangeMultiplier(10)->Range(1, 1000)->UseManualTime()->Unit(benchmark::kMicrosecond);
  };
  probe("echo/loop", echo_loop)->Apply(connections);
  probe("echo/baseline", echo_baseline)->Apply(connections);
}

}  // namespace loopbench
