// Probe 9, memory per idle connection: how much the process's resident
// set (/proc/self/statm) grows while the loop's echo server accepts 1,000
// connections that then stay idle. In KiB per 1,000 connections (the
// counter kib_per_1000): what a loop keeps per connection (its transport,
// protocol, buffers), not the kernel's socket memory, which is not in RSS.
// One iteration per repetition, each on a fresh loop; free memory is given
// back first (malloc_trim), so that what the connections take is counted
// even where an earlier probe left free blocks.
//
// Baseline: RawEchoServer accepting the same connections into its epoll
// set, an Fd each.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "echo_server.hpp"
#include "fd_limit.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw.hpp"

namespace loopbench {
namespace {

constexpr long kIdle = 1000;

long resident_bytes() {
  long size = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

/// `server`: a LoopEchoServer or a RawEchoServer.
template <class Server>
void measure(benchmark::State& state, Server& server) {
  std::vector<Fd> clients;
  clients.reserve(kIdle);
  ::malloc_trim(0);
  long before = resident_bytes();
  for (auto _ : state) {
    for (long i = 0; i < kIdle; ++i) clients.push_back(tcp_connect(server.port()));
    server.run_until_accepted(kIdle);
  }
  long after = resident_bytes();
  state.counters["kib_per_1000"] = static_cast<double>(after - before) / 1024.0 * (1000.0 / kIdle);
}

void idle_memory_loop(benchmark::State& state) {
  if (!require_fds(state, 2 * kIdle)) return;
  FreshLoop loop;
  LoopEchoServer server(*loop);
  measure(state, server);
}

void idle_memory_baseline(benchmark::State& state) {
  if (!require_fds(state, 2 * kIdle)) return;
  RawEchoServer server;
  measure(state, server);
}

}  // namespace

void register_idle_memory() {
  probe("idle_memory/loop", idle_memory_loop)->Iterations(1);
  probe("idle_memory/baseline", idle_memory_baseline)->Iterations(1);
}

}  // namespace loopbench
