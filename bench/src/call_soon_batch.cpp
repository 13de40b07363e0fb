// Probe 1, call_soon dispatch in batches: schedule kBatch callbacks and a
// final stop(), then run the loop until it stops. Per callback: what
// call_soon() costs (its Handle included) plus running the callback.
//
// Baseline: RawLoop, a vector of function pointers and one epoll_wait(0)
// per batch.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw_loop.hpp"

namespace loopbench {
namespace {

constexpr int kBatch = 1000;

void call_soon_batch_loop(benchmark::State& state) {
  FreshLoop loop;
  std::int64_t calls = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) loop->call_soon([&calls] { ++calls; });
    loop->call_soon([&loop] { loop->stop(); });
    loop->run_forever();
  }
  if (calls != state.iterations() * kBatch) state.SkipWithError("the loop lost callbacks");
  state.SetItemsProcessed(calls);
}

void call_soon_batch_baseline(benchmark::State& state) {
  RawLoop loop;
  std::int64_t calls = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      loop.call_soon([](void* count) { ++*static_cast<std::int64_t*>(count); }, &calls);
    }
    loop.call_soon([](void* raw) { static_cast<RawLoop*>(raw)->stop(); }, &loop);
    loop.run_forever();
  }
  state.SetItemsProcessed(calls);
}

}  // namespace

void register_call_soon_batch() {
  probe("call_soon_batch/loop", call_soon_batch_loop);
  probe("call_soon_batch/baseline", call_soon_batch_baseline);
}

}  // namespace loopbench
