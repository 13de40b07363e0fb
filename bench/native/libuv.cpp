// The native probes on libuv (native_probes.hpp): what the libuv adapter
// (harness/adapters/libuv) does through the library, without the contract.
//
//   chained_dispatch  a uv_idle_t, one callback per loop iteration: the
//                     adapter's call_soon() has no libuv handle behind it
//                     (the ready queue is BaseEventLoop's), and what makes
//                     its uv_run() iteration not block while a callback is
//                     ready is UV_RUN_NOWAIT; a started uv_idle_t is how a
//                     libuv program says the same (uv_backend_timeout() is
//                     0 while one is active)
//   ping_pong         a uv_poll_t on the echo end, as the adapter's
//                     add_reader()
//   timers_fired      a uv_timer_t per timer, started with timeout 0, as
//                     the adapter starts a timer already due (libuv's
//                     timeouts are unsigned milliseconds from the
//                     iteration's start: a deadline in the past cannot be
//                     said, so these fire in the order started)
//   wake_up           uv_async_send(), as call_soon_threadsafe()
#include <uv.h>

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

namespace loopbench::native_libuv {
namespace {

/// A uv_loop_t that closes every handle left on it when it goes, so the
/// handles' memory must outlive it: declare them before it.
class UvLoop {
 public:
  UvLoop() {
    if (int status = uv_loop_init(&loop_); status < 0)
      throw std::runtime_error(std::string("uv_loop_init(): ") + uv_strerror(status));
  }
  ~UvLoop() {
    uv_walk(
        &loop_,
        [](uv_handle_t* handle, void*) {
          if (!uv_is_closing(handle)) uv_close(handle, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);  // the close callbacks
    uv_loop_close(&loop_);
  }
  UvLoop(const UvLoop&) = delete;
  UvLoop& operator=(const UvLoop&) = delete;

  uv_loop_t* get() noexcept { return &loop_; }

 private:
  uv_loop_t loop_{};
};

void chained_dispatch_native(benchmark::State& state) {
  struct Chain {
    uv_idle_t idle{};
    uv_async_t wake_up{};
    int remaining = 0;
  } chain;
  UvLoop loop;
  // The adapter's loop watches its uv_async_t's eventfd, and so does any
  // libuv loop that takes work from other threads. Without a watched fd
  // libuv skips epoll_wait() altogether (uv__io_poll() returns at once
  // when loop->nfds is 0, src/unix/linux-core.c), which would count less
  // than a poll per callback. Unreferenced: it must not keep uv_run() going.
  uv_async_init(loop.get(), &chain.wake_up, [](uv_async_t*) {});
  uv_unref(reinterpret_cast<uv_handle_t*>(&chain.wake_up));
  uv_idle_init(loop.get(), &chain.idle);
  chain.idle.data = &chain;
  measure_chains(state, [&](int length) {
    chain.remaining = length;
    uv_idle_start(&chain.idle, [](uv_idle_t* idle) {
      // Each callback asks for the next by leaving the idle handle started;
      // the last stops it, and uv_run() ends with nothing active.
      if (--static_cast<Chain*>(idle->data)->remaining == 0) uv_idle_stop(idle);
    });
    uv_run(loop.get(), UV_RUN_DEFAULT);
  });
}

void echo_on_uv_poll(int fd) {
  uv_poll_t poll{};
  UvLoop loop;
  uv_poll_init(loop.get(), &poll, fd);  // makes fd non-blocking (src/unix/poll.c)
  poll.data = &fd;
  uv_poll_start(&poll, UV_READABLE, [](uv_poll_t* poll, int status, int) {
    // The last callback stops the handle: uv_run() then ends.
    if (status < 0 || !echo_once(*static_cast<int*>(poll->data))) uv_poll_stop(poll);
  });
  uv_run(loop.get(), UV_RUN_DEFAULT);
}

void ping_pong_native(benchmark::State& state) { ping_against(state, echo_on_uv_poll); }

void timers_fired_native(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  std::vector<uv_timer_t> timers(count);  // never reallocated: libuv holds their addresses
  std::int64_t fired = 0;
  UvLoop loop;
  for (uv_timer_t& timer : timers) {
    uv_timer_init(loop.get(), &timer);
    timer.data = &fired;
  }
  for (auto _ : state) {
    fired = 0;
    // The adapter refreshes libuv's clock before it starts a timer, so
    // that the timer counts from now; once is enough for a batch.
    uv_update_time(loop.get());
    for (uv_timer_t& timer : timers) {
      uv_timer_start(
          &timer, [](uv_timer_t* timer) { ++*static_cast<std::int64_t*>(timer->data); }, 0, 0);
    }
    uv_run(loop.get(), UV_RUN_DEFAULT);  // until every timer has fired: none is active then
  }
  count_timers_fired(state, fired);
}

void wake_up_native(benchmark::State& state) {
  struct Waking {
    uv_async_t async{};
    Stamp woke;
    std::atomic<bool> stopping{false};
  } waking;
  UvLoop loop;
  uv_async_init(loop.get(), &waking.async, [](uv_async_t* async) {
    std::int64_t now = monotonic_ns();
    auto& waking = *static_cast<Waking*>(async->data);
    if (waking.stopping.load(std::memory_order_acquire)) {
      uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);  // uv_run() then ends
    } else {
      waking.woke.set(now);
    }
  });
  waking.async.data = &waking;
  SleeperThread running([&] { uv_run(loop.get(), UV_RUN_DEFAULT); });
  sample_wake_ups(state, running.tid(), waking.woke, [&] { uv_async_send(&waking.async); });
  waking.stopping.store(true, std::memory_order_release);
  uv_async_send(&waking.async);
}

// libuv's one backend on Linux, the adapter's one loop.
bool use_backend(std::string_view loop) { return loop == "epoll"; }

[[maybe_unused]] const bool offered =
    offer_native_probes({"libuv", "libloopcert_libuv_adapter.so", use_backend, chained_dispatch_native,
                         ping_pong_native, timers_fired_native, wake_up_native});

}  // namespace
}  // namespace loopbench::native_libuv
