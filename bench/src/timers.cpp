// Probe 3, timers: schedule N timers (1e3 to 1e6) with deadlines spread
// over the last kSpread seconds, so that all are due but the heap has to
// order them, then run the loop until every one has fired. A second probe
// cancels every timer after scheduling it, then runs one iteration (which
// is where a lazily cancelling loop drops them). Nothing sleeps.
//
// Baseline: a std::priority_queue of (deadline, function pointer), with one
// clock_gettime(CLOCK_MONOTONIC) per pop; cancelling sets a flag the
// callback checks.
//
// Beside them, for the reader of the table, "the Handle alone": the
// baseline's heap and clock reads, with what the PEP asks of each timer in
// place of the function pointer: call_at() returns a TimerHandle the caller
// may keep, so each entry points to a state the caller and the heap share
// (the spec's TimerHandleState behind atomic reference counts, its block
// recycled) holding a type-erased callable. What it costs beyond the
// baseline, no loop returning TimerHandles can avoid. It keeps the
// baseline's clock read before every pop, which a loop need not make (it
// reads the clock once per iteration): where that read is a large part of
// the baseline (1e3 timers), the loop has that much more room.
#include "timers.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <queue>
#include <random>
#include <string>

#include "loop_under_test.hpp"
#include "pep3156/handle.hpp"
#include "probe_recycling_allocator.hpp"
#include "probes.hpp"
#include "raw.hpp"

namespace loopbench {

namespace {

constexpr double kSpread = 0.01;  // seconds

/// 1e3 to 1e6 timers: a million take a second or so per iteration.
void timer_counts(benchmark::internal::Benchmark* timers) {
  timers->RangeMultiplier(10)->Range(1'000, 1'000'000)->Unit(benchmark::kMillisecond);
}

}  // namespace

std::vector<double> spread_deadlines(std::int64_t count) {
  std::mt19937_64 random(3156);
  std::uniform_real_distribution<double> before(0.0, kSpread);
  std::vector<double> seconds(static_cast<std::size_t>(count));
  for (double& s : seconds) s = before(random);
  return seconds;
}

std::vector<std::int64_t> spread_deadlines_ns(std::int64_t count) {
  std::vector<std::int64_t> nanoseconds;
  nanoseconds.reserve(static_cast<std::size_t>(count));
  for (double seconds : spread_deadlines(count))
    nanoseconds.push_back(static_cast<std::int64_t>(seconds * 1e9));
  return nanoseconds;
}

void count_timers_fired(benchmark::State& state, std::int64_t fired) {
  if (fired != state.range(0)) state.SkipWithError("the loop did not fire every timer");
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

benchmark::internal::Benchmark* timers_fired_probe(const char* variant, void (*body)(benchmark::State&)) {
  return probe(("timers_fired/" + std::string(variant)).c_str(), body)->Apply(timer_counts);
}

namespace {

void timers_fired_loop(benchmark::State& state) {
  const std::int64_t count = state.range(0);
  const std::vector<double> spread = spread_deadlines(count);
  FreshLoop loop;
  std::int64_t fired = 0;
  for (auto _ : state) {
    fired = 0;
    double now = loop->time();
    for (double before : spread) {
      loop->call_at(now - before, [&] {
        if (++fired == count) loop->stop();
      });
    }
    loop->run_forever();
  }
  count_timers_fired(state, fired);
}

void timers_cancelled_loop(benchmark::State& state) {
  const std::int64_t count = state.range(0);
  const std::vector<double> spread = spread_deadlines(count);
  FreshLoop loop;
  bool fired = false;
  std::vector<pep3156::TimerHandle> handles;
  handles.reserve(spread.size());
  for (auto _ : state) {
    double now = loop->time();
    for (double before : spread) handles.push_back(loop->call_at(now - before, [&fired] { fired = true; }));
    for (const pep3156::TimerHandle& handle : handles) handle.cancel();
    loop->call_soon([&loop] { loop->stop(); });
    loop->run_forever();
    handles.clear();
  }
  if (fired) state.SkipWithError("a cancelled timer fired");
  state.SetItemsProcessed(state.iterations() * count);
}

struct RawTimer {
  std::int64_t deadline_ns;
  void (*function)(void* argument);
  void* argument;
};
struct Later {
  bool operator()(const RawTimer& a, const RawTimer& b) const noexcept {
    return a.deadline_ns > b.deadline_ns;
  }
};
using RawTimers = std::priority_queue<RawTimer, std::vector<RawTimer>, Later>;

/// Pops and calls every timer due, reading the clock before each pop.
void fire_due(RawTimers& timers) {
  while (!timers.empty() && timers.top().deadline_ns <= monotonic_ns()) {
    RawTimer timer = timers.top();
    timers.pop();
    timer.function(timer.argument);
  }
}

void timers_fired_baseline(benchmark::State& state) {
  const std::int64_t count = state.range(0);
  const std::vector<std::int64_t> spread = spread_deadlines_ns(count);
  RawTimers timers;
  std::int64_t fired = 0;
  for (auto _ : state) {
    std::int64_t now = monotonic_ns();
    for (std::int64_t before : spread) {
      timers.push({now - before, [](void* fired) { ++*static_cast<std::int64_t*>(fired); }, &fired});
    }
    fire_due(timers);
  }
  if (fired != state.iterations() * count) state.SkipWithError("the baseline did not fire every timer");
  state.SetItemsProcessed(fired);
}

/// The baseline's heap entry with a shared TimerHandleState in place of the
/// function pointer and its argument: the same 24 bytes.
struct HandleTimer {
  std::int64_t deadline_ns;
  std::shared_ptr<pep3156::TimerHandleState> state;
};
struct HandleLater {
  bool operator()(const HandleTimer& a, const HandleTimer& b) const noexcept {
    return a.deadline_ns > b.deadline_ns;
  }
};

void timers_fired_handle_alone(benchmark::State& state) {
  const std::int64_t count = state.range(0);
  const std::vector<std::int64_t> spread = spread_deadlines_ns(count);
  std::vector<HandleTimer> heap;
  std::int64_t fired = 0;
  for (auto _ : state) {
    std::int64_t now = monotonic_ns();
    for (std::int64_t before : spread) {
      pep3156::TimerHandle returned(std::allocate_shared<pep3156::TimerHandleState>(
          RecyclingAllocator<pep3156::TimerHandleState>(), static_cast<double>(now - before) * 1e-9,
          [&fired] { ++fired; }));
      heap.push_back({now - before, std::static_pointer_cast<pep3156::TimerHandleState>(returned.state())});
      std::push_heap(heap.begin(), heap.end(), HandleLater{});
      benchmark::DoNotOptimize(returned);  // the caller drops it at once, as the loop probe does
    }
    while (!heap.empty() && heap.front().deadline_ns <= monotonic_ns()) {
      std::pop_heap(heap.begin(), heap.end(), HandleLater{});
      std::shared_ptr<pep3156::TimerHandleState> timer = std::move(heap.back().state);
      heap.pop_back();
      timer->run();
    }
  }
  if (fired != state.iterations() * count) state.SkipWithError("a timer did not fire");
  state.SetItemsProcessed(fired);
}

/// A raw timer that can be cancelled: popped all the same, it then does
/// nothing.
struct RawCancellable {
  bool cancelled = false;
  bool* fired;
  static void fire(void* raw) {
    auto* timer = static_cast<RawCancellable*>(raw);
    if (!timer->cancelled) *timer->fired = true;
  }
};

void timers_cancelled_baseline(benchmark::State& state) {
  const std::int64_t count = state.range(0);
  const std::vector<std::int64_t> spread = spread_deadlines_ns(count);
  RawTimers timers;
  bool fired = false;
  std::vector<RawCancellable> cancellable(spread.size(), RawCancellable{false, &fired});
  for (auto _ : state) {
    std::int64_t now = monotonic_ns();
    for (std::size_t i = 0; i < spread.size(); ++i) {
      cancellable[i].cancelled = false;
      timers.push({now - spread[i], RawCancellable::fire, &cancellable[i]});
    }
    for (RawCancellable& timer : cancellable) timer.cancelled = true;
    fire_due(timers);
  }
  if (fired) state.SkipWithError("a cancelled timer fired");
  state.SetItemsProcessed(state.iterations() * count);
}

}  // namespace

void register_timers() {
  timers_fired_probe("loop", timers_fired_loop);
  timers_fired_probe("baseline", timers_fired_baseline);
  timers_fired_probe("handle_alone", timers_fired_handle_alone);
  probe("timers_cancelled/loop", timers_cancelled_loop)->Apply(timer_counts);
  probe("timers_cancelled/baseline", timers_cancelled_baseline)->Apply(timer_counts);
}

}  // namespace loopbench
