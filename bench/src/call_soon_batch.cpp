// Probe 1, call_soon dispatch in batches: schedule kBatch callbacks and a
// final stop(), then run the loop until it stops. Per callback: what
// call_soon() costs (its Handle included) plus running the callback.
//
// Baseline: RawLoop, a vector of function pointers and one epoll_wait(0)
// per batch.
//
// Beside them, for the reader of the table, "the Handle alone": what the
// PEP asks of one callback with no loop around it. call_soon() returns a
// Handle the caller may keep to cancel, so each callback has a state that
// the caller and the queue share (the spec's HandleState, behind atomic
// reference counts) and a type-erased callable. Its block is recycled, so
// that malloc is not what it measures. Its ratio to the baseline is the
// part of the loop's ratio that no loop returning Handles can avoid.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "loop_under_test.hpp"
#include "pep3156/handle.hpp"
#include "probe_recycling_allocator.hpp"
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

void call_soon_batch_handle_alone(benchmark::State& state) {
  std::vector<std::shared_ptr<pep3156::HandleState>> ready;
  ready.reserve(kBatch);
  std::int64_t calls = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      pep3156::Handle returned(std::allocate_shared<pep3156::HandleState>(
          RecyclingAllocator<pep3156::HandleState>(), [&calls] { ++calls; }));
      ready.push_back(returned.state());
      benchmark::DoNotOptimize(returned);  // the caller drops it at once, as the loop probe does
    }
    for (const auto& handle : ready) handle->run();
    ready.clear();
  }
  state.SetItemsProcessed(calls);
}

}  // namespace

void register_call_soon_batch() {
  probe("call_soon_batch/loop", call_soon_batch_loop);
  probe("call_soon_batch/baseline", call_soon_batch_baseline);
  probe("call_soon_batch/handle_alone", call_soon_batch_handle_alone);
}

}  // namespace loopbench
