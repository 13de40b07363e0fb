// The native probes on libev (native_probes.hpp): what the libev adapter
// (harness/adapters/libev) does through the library, without the contract,
// on the backend of the adapter's loop being measured (epoll, poll, select).
//
//   chained_dispatch  an ev_idle, one callback per libev iteration: the
//                     adapter's call_soon() has no libev watcher behind it
//                     (the ready queue is BaseEventLoop's), and what makes
//                     its ev_run() iteration not block while a callback is
//                     ready is EVRUN_NOWAIT; a started ev_idle is how a
//                     libev program says the same (ev_run() polls with a
//                     zero timeout while one is active)
//   ping_pong         an ev_io on the echo end, as the adapter's add_reader()
//   timers_fired      an ev_timer per timer, due in the past as the
//                     adapter's are (libev takes a negative delay)
//   wake_up           ev_async_send(), as call_soon_threadsafe()
#include <ev.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "chained_dispatch.hpp"
#include "native_probes.hpp"
#include "ping_pong.hpp"
#include "raw.hpp"
#include "timers.hpp"
#include "wake_up.hpp"

namespace loopbench::native_libev {
namespace {

unsigned backend = 0;  // the EVBACKEND_ flag of the loop being measured (use_backend())

/// A libev loop on `backend`, made as the adapter makes its own (flags
/// included), destroyed when this object goes. Watchers must be stopped
/// before then.
class EvLoop {
 public:
  EvLoop() : loop_(ev_loop_new(backend | EVFLAG_NOENV | EVFLAG_NOSIGMASK)) {
    if (!loop_) throw std::runtime_error("ev_loop_new() failed for libev backend " + std::to_string(backend));
  }
  ~EvLoop() { ev_loop_destroy(loop_); }
  EvLoop(const EvLoop&) = delete;
  EvLoop& operator=(const EvLoop&) = delete;

  struct ev_loop* get() const noexcept {
    return loop_;
  }

 private:
  struct ev_loop* loop_;
};

void chained_dispatch_native(benchmark::State& state) {
  EvLoop loop;
  struct Chain {
    ev_idle idle;
    int remaining = 0;
  } chain;
  ev_idle_init(&chain.idle, [](struct ev_loop* loop, ev_idle* idle, int) {
    // Each callback asks for the next by leaving the idle watcher started;
    // the last stops it, and ev_run() ends with nothing active.
    if (--static_cast<Chain*>(idle->data)->remaining == 0) ev_idle_stop(loop, idle);
  });
  chain.idle.data = &chain;
  measure_chains(state, [&](int length) {
    chain.remaining = length;
    ev_idle_start(loop.get(), &chain.idle);
    ev_run(loop.get(), 0);
  });
}

void echo_on_ev_io(int fd) {
  set_non_blocking(fd);
  EvLoop loop;
  ev_io io;
  ev_io_init(
      &io,
      [](struct ev_loop* loop, ev_io* io, int) {
        // The last callback stops the watcher: ev_run() then ends.
        if (!echo_once(io->fd)) ev_io_stop(loop, io);
      },
      fd, EV_READ);
  ev_io_start(loop.get(), &io);
  ev_run(loop.get(), 0);
}

void ping_pong_native(benchmark::State& state) { ping_against(state, echo_on_ev_io); }

void timers_fired_native(benchmark::State& state) {
  const std::vector<double> spread = spread_deadlines(state.range(0));
  std::vector<ev_timer> timers(spread.size());
  std::int64_t fired = 0;
  EvLoop loop;
  for (auto _ : state) {
    fired = 0;
    // The adapter refreshes libev's cached time before it starts a timer,
    // so that the timer counts from now; once is enough for a batch.
    ev_now_update(loop.get());
    for (std::size_t i = 0; i < timers.size(); ++i) {
      ev_timer_init(
          &timers[i],
          [](struct ev_loop*, ev_timer* timer, int) { ++*static_cast<std::int64_t*>(timer->data); },
          -spread[i], 0.0);
      timers[i].data = &fired;
      ev_timer_start(loop.get(), &timers[i]);
    }
    ev_run(loop.get(), 0);  // until every timer has fired: none is active then
  }
  count_timers_fired(state, fired);
}

void wake_up_native(benchmark::State& state) {
  EvLoop loop;
  struct Waking {
    ev_async async;
    Stamp woke;
    std::atomic<bool> stopping{false};
  } waking;
  ev_async_init(&waking.async, [](struct ev_loop* loop, ev_async* async, int) {
    std::int64_t now = monotonic_ns();
    auto& waking = *static_cast<Waking*>(async->data);
    if (waking.stopping.load(std::memory_order_acquire)) {
      ev_async_stop(loop, async);  // ev_run() then ends
    } else {
      waking.woke.set(now);
    }
  });
  waking.async.data = &waking;
  ev_async_start(loop.get(), &waking.async);  // before the loop's thread: libev is not thread-safe
  SleeperThread running([&] { ev_run(loop.get(), 0); });
  sample_wake_ups(state, running.tid(), waking.woke, [&] { ev_async_send(loop.get(), &waking.async); });
  waking.stopping.store(true, std::memory_order_release);
  ev_async_send(loop.get(), &waking.async);
}

bool use_backend(std::string_view loop) {
  // The libev adapter's loops, by the names it gives them.
  if (loop == "epoll") {
    backend = EVBACKEND_EPOLL;
  } else if (loop == "poll") {
    backend = EVBACKEND_POLL;
  } else if (loop == "select") {
    backend = EVBACKEND_SELECT;
  } else {
    return false;
  }
  return true;
}

[[maybe_unused]] const bool offered =
    offer_native_probes({"libev", "libloopcert_libev_adapter.so", use_backend, chained_dispatch_native,
                         ping_pong_native, timers_fired_native, wake_up_native});

}  // namespace
}  // namespace loopbench::native_libev
