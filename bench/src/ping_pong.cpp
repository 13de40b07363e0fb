// Probe 5, I/O ping-pong: a peer thread writes a message and blocks reading
// the reply; the loop under test sends it back. Per round trip.
//
//   ping_pong         a 16-byte message over a UNIX socketpair, echoed by
//                     an add_reader() callback doing read() and write()
//   ping_pong_tcp/N   an N-byte message (1 B, 1 KiB, 64 KiB) over TCP
//                     loopback, echoed by the loop's transports: its
//                     create_server() and a protocol writing back what it
//                     receives (LoopEchoServer)
//
// Baseline: the same peer against a thread doing blocking read/write in
// place of the loop, over the same kind of socket.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "echo_server.hpp"
#include "loop_thread.hpp"
#include "loop_under_test.hpp"
#include "probes.hpp"
#include "raw.hpp"

namespace loopbench {
namespace {

constexpr std::size_t kSocketpairMessage = 16;

/// The peer's side: one round trip of a `size`-byte message per benchmark
/// iteration.
void ping(benchmark::State& state, int fd, std::size_t size) {
  std::vector<char> message(size);
  for (auto _ : state) {
    write_all(fd, message.data(), size);
    if (!read_exactly(fd, message.data(), size)) {
      state.SkipWithError("the echo side closed the socket");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

/// The baseline: `ping` against a thread echoing with blocking calls.
void ping_blocking_echo(benchmark::State& state, std::pair<Fd, Fd> sockets, std::size_t size) {
  auto& [peer, echo] = sockets;
  std::thread echoing([fd = echo.get(), size] {
    std::vector<char> message(size);
    while (read_exactly(fd, message.data(), size)) write_all(fd, message.data(), size);
  });
  ping(state, peer.get(), size);
  ::shutdown(peer.get(), SHUT_WR);  // the echo thread reads end-of-stream and returns
  echoing.join();
}

void ping_pong_loop(benchmark::State& state) {
  if (!require_io_callbacks(state)) return;
  auto [peer, echo] = make_socketpair();
  set_non_blocking(echo.get());
  FreshLoop loop;
  loop->add_reader(echo.get(), [fd = echo.get()] {
    char message[kSocketpairMessage];
    ssize_t n = ::read(fd, message, sizeof message);
    // A 16-byte reply always fits in the empty socket buffer.
    if (n > 0) write_all(fd, message, static_cast<std::size_t>(n));
  });
  {
    LoopThread running(*loop);
    ping(state, peer.get(), kSocketpairMessage);
  }
  loop->remove_reader(echo.get());
}

void ping_pong_baseline(benchmark::State& state) {
  ping_blocking_echo(state, make_socketpair(), kSocketpairMessage);
}

void ping_pong_tcp_loop(benchmark::State& state) {
  FreshLoop loop;
  LoopEchoServer server(*loop);
  Fd peer = tcp_connect(server.port());  // the backlog holds it until the loop runs
  LoopThread running(*loop);
  ping(state, peer.get(), static_cast<std::size_t>(state.range(0)));
}

void ping_pong_tcp_baseline(benchmark::State& state) {
  ping_blocking_echo(state, make_tcp_pair(), static_cast<std::size_t>(state.range(0)));
}

}  // namespace

void register_ping_pong() {
  // Real time: the work is shared with another thread.
  probe("ping_pong/loop", ping_pong_loop)->UseRealTime()->Unit(benchmark::kMicrosecond);
  probe("ping_pong/baseline", ping_pong_baseline)->UseRealTime()->Unit(benchmark::kMicrosecond);
  auto sizes = [](benchmark::internal::Benchmark* tcp) {
    tcp->Arg(1)->Arg(1024)->Arg(64 * 1024)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  probe("ping_pong_tcp/loop", ping_pong_tcp_loop)->Apply(sizes);
  probe("ping_pong_tcp/baseline", ping_pong_tcp_baseline)->Apply(sizes);
}

}  // namespace loopbench
