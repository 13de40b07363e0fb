// Probe 2, chained dispatch: each callback schedules the next, so every
// callback costs one iteration of the loop, with its poll (timeout 0, as a
// callback is ready: LOOP-CALLSOON-SCHEDULES).
//
// Probe 7, idle fds: the same chain with 1 to 10,000 fds registered with
// add_reader() that never become ready. A loop whose iteration cost grows
// with the fds it watches (select, poll) shows it here; an epoll loop
// should stay flat.
//
// Baseline of both: RawLoop, one epoll_wait(0) and one indirect call per
// callback, with the same idle fds in its epoll set.
#include "chained_dispatch.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "fd_limit.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw_loop.hpp"

namespace loopbench {
namespace {

/// Runs kChain chained callbacks per benchmark iteration on `loop`.
void run_chain(benchmark::State& state, pep3156::AbstractEventLoop& loop) {
  struct Chain {
    pep3156::AbstractEventLoop& loop;
    int remaining = 0;
    void step() {
      if (--remaining == 0) {
        loop.stop();
      } else {
        loop.call_soon([this] { step(); });
      }
    }
  } chain{loop};
  measure_chains(state, [&](int length) {
    chain.remaining = length;
    loop.call_soon([&chain] { chain.step(); });
    loop.run_forever();
  });
}

/// The same chain on RawLoop.
void run_chain(benchmark::State& state, RawLoop& loop) {
  struct Chain {
    RawLoop& loop;
    int remaining = 0;
    static void step(void* raw) {
      auto* chain = static_cast<Chain*>(raw);
      if (--chain->remaining == 0) {
        chain->loop.stop();
      } else {
        chain->loop.call_soon(step, chain);
      }
    }
  } chain{loop};
  measure_chains(state, [&](int length) {
    chain.remaining = length;
    loop.call_soon(Chain::step, &chain);
    loop.run_forever();
  });
}

void chained_dispatch_loop(benchmark::State& state) {
  FreshLoop loop;
  run_chain(state, *loop);
}

void chained_dispatch_baseline(benchmark::State& state) {
  RawLoop loop;
  run_chain(state, loop);
}

/// `count` eventfds that nobody signals; empty, with the benchmark skipped,
/// if RLIMIT_NOFILE is too low (main() has raised it as far as it goes).
std::vector<Fd> open_idle_fds(benchmark::State& state, int count) {
  if (!require_fds(state, count)) return {};
  std::vector<Fd> fds;
  fds.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) fds.push_back(make_eventfd());
  return fds;
}

void idle_fds_loop(benchmark::State& state) {
  if (!require_io_callbacks(state)) return;
  // The loop first: its own fds (a waker, an epoll fd) stay below the idle
  // ones, so that select can run the sizes below FD_SETSIZE.
  FreshLoop loop;
  std::vector<Fd> idle = open_idle_fds(state, static_cast<int>(state.range(0)));
  if (idle.empty()) return;
  bool fired = false;
  for (const Fd& fd : idle) {
    try {
      loop->add_reader(fd.get(), [&fired] { fired = true; });
    } catch (const std::exception& e) {
      // select: no fd at or above FD_SETSIZE (1024).
      state.SkipWithError(("the loop refused idle fd " + std::to_string(fd.get()) + ": " + e.what()).c_str());
      break;
    }
  }
  if (!state.error_occurred()) run_chain(state, *loop);
  if (fired) state.SkipWithError("an idle fd was reported ready");
  for (const Fd& fd : idle) loop->remove_reader(fd.get());  // before the fds close
}

void idle_fds_baseline(benchmark::State& state) {
  std::vector<Fd> idle = open_idle_fds(state, static_cast<int>(state.range(0)));
  if (idle.empty()) return;
  RawLoop loop;
  for (const Fd& fd : idle) epoll_watch(loop.epoll_fd(), fd.get());
  run_chain(state, loop);
}

}  // namespace

void register_chained_dispatch() {
  probe("chained_dispatch/loop", chained_dispatch_loop);
  probe("chained_dispatch/baseline", chained_dispatch_baseline);
  probe("idle_fds/loop", idle_fds_loop)->RangeMultiplier(10)->Range(1, 10'000);
  probe("idle_fds/baseline", idle_fds_baseline)->RangeMultiplier(10)->Range(1, 10'000);
}

}  // namespace loopbench
