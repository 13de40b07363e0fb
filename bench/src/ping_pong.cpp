// Probe 5, I/O ping-pong: a peer thread writes a small message to a UNIX
// socketpair and blocks reading the reply; on the loop, an add_reader()
// callback reads it and writes it back. Per round trip.
//
// Baseline: the same with a thread doing blocking read/write in place of
// the loop.
#include "ping_pong.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string>
#include <thread>

#include "loop_thread.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw.hpp"

namespace loopbench {

benchmark::internal::Benchmark* ping_pong_probe(const char* variant, void (*body)(benchmark::State&)) {
  return probe(("ping_pong/" + std::string(variant)).c_str(), body)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

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

bool echo_once(int fd) noexcept {
  char message[kMessage];
  ssize_t n = ::read(fd, message, sizeof message);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  return n > 0 && ::write(fd, message, static_cast<std::size_t>(n)) == n;
}

void ping_against(benchmark::State& state, void (*echo)(int fd)) {
  auto [peer, echoing_end] = make_socketpair();
  std::thread echoing([echo, fd = echoing_end.get()] {
    try {
      echo(fd);
    } catch (const std::exception&) {
      // Nothing may leave the thread; the peer learns it below.
    }
    // If a failure stopped the echo side, the peer must not wait for a
    // reply that never comes: it reads end of stream and skips the
    // benchmark. After end of stream this changes nothing.
    ::shutdown(fd, SHUT_RDWR);
  });
  ping(state, peer.get());
  ::shutdown(peer.get(), SHUT_WR);  // the echo side reads end-of-stream and returns
  echoing.join();
}

namespace {

void ping_pong_loop(benchmark::State& state) {
  if (!require_io_callbacks(state)) return;
  auto [peer, echo] = make_socketpair();
  set_non_blocking(echo.get());
  FreshLoop loop;
  loop->add_reader(echo.get(), [fd = echo.get()] { echo_once(fd); });
  {
    LoopThread running(*loop);
    ping(state, peer.get());
  }
  loop->remove_reader(echo.get());
}

void ping_pong_baseline(benchmark::State& state) {
  ping_against(state, [](int fd) {
    char message[kMessage];
    while (read_exactly(fd, message, kMessage)) write_all(fd, message, kMessage);
  });
}

}  // namespace

void register_ping_pong() {
  ping_pong_probe("loop", ping_pong_loop);
  ping_pong_probe("baseline", ping_pong_baseline);
}

}  // namespace loopbench
