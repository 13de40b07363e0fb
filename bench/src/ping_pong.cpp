// Probe 5, I/O ping-pong: a peer thread writes a small message to a UNIX
// socketpair and blocks reading the reply; on the loop, an add_reader()
// callback reads it and writes it back. Per round trip.
//
// Baseline: the same with a thread doing blocking read/write in place of
// the loop.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "loop_thread.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw.hpp"

namespace loopbench {
namespace {

constexpr std::size_t kMessage = 16;

/// The peer's side: one round trip per benchmark iteration.
void ping(benchmark::State& state, int fd) {
  char message[kMessage] = {};
  for (auto _ : state) {
    write_all(fd, message, kMessage);
    if (!read_exactly(fd, message, kMessage)) {
      state.SkipWithError("the echo side closed the socket");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void ping_pong_loop(benchmark::State& state) {
  if (!require_io_callbacks(state)) return;
  auto [peer, echo] = make_socketpair();
  set_non_blocking(echo.get());
  FreshLoop loop;
  loop->add_reader(echo.get(), [fd = echo.get()] {
    char message[kMessage];
    ssize_t n = ::read(fd, message, sizeof message);
    // A 16-byte reply always fits in the empty socket buffer.
    if (n > 0) write_all(fd, message, static_cast<std::size_t>(n));
  });
  {
    LoopThread running(*loop);
    ping(state, peer.get());
  }
  loop->remove_reader(echo.get());
}

void ping_pong_baseline(benchmark::State& state) {
  auto [peer, echo] = make_socketpair();
  std::thread echoing([fd = echo.get()] {
    char message[kMessage];
    while (read_exactly(fd, message, kMessage)) write_all(fd, message, kMessage);
  });
  ping(state, peer.get());
  ::shutdown(peer.get(), SHUT_WR);  // the echo thread reads end-of-stream and returns
  echoing.join();
}

}  // namespace

void register_ping_pong() {
  // Real time: the work is shared with another thread.
  probe("ping_pong/loop", ping_pong_loop)->UseRealTime()->Unit(benchmark::kMicrosecond);
  probe("ping_pong/baseline", ping_pong_baseline)->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace loopbench
