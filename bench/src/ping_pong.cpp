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
// place of the loop, over the same kind of socket. The parts are shared
// with the libraries' native probes (ping_pong.hpp, bench/native/).
#include "ping_pong.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "echo_server.hpp"
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

bool echo_once(int fd) noexcept {
  char message[kMessage];
  ssize_t n = ::read(fd, message, sizeof message);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  return n > 0 && ::write(fd, message, static_cast<std::size_t>(n)) == n;
}

void ping_against(benchmark::State& state, const std::function<void(int fd)>& echo, std::pair<Fd, Fd> sockets,
                  std::size_t size) {
  auto& [peer, echoing_end] = sockets;
  std::thread echoing([&echo, fd = echoing_end.get()] {
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
  ping(state, peer.get(), size);
  ::shutdown(peer.get(), SHUT_WR);  // the echo side reads end-of-stream and returns
  echoing.join();
}

void ping_against(benchmark::State& state, void (*echo)(int fd)) {
  ping_against(state, echo, make_socketpair(), kMessage);
}

namespace {

/// The baseline's echo side: blocking calls, `size` bytes at a time.
void echo_blocking(int fd, std::size_t size) {
  std::vector<char> message(size);
  while (read_exactly(fd, message.data(), size)) write_all(fd, message.data(), size);
}

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
  ping_against(state, [](int fd) { echo_blocking(fd, kMessage); });
}

void ping_pong_tcp_loop(benchmark::State& state) {
  FreshLoop loop;
  LoopEchoServer server(*loop);
  Fd peer = tcp_connect(server.port());  // the backlog holds it until the loop runs
  LoopThread running(*loop);
  ping(state, peer.get(), static_cast<std::size_t>(state.range(0)));
}

void ping_pong_tcp_baseline(benchmark::State& state) {
  auto size = static_cast<std::size_t>(state.range(0));
  auto echo = [size](int fd) { echo_blocking(fd, size); };
  ping_against(state, echo, make_tcp_pair(), size);
}

}  // namespace

void register_ping_pong() {
  ping_pong_probe("loop", ping_pong_loop);
  ping_pong_probe("baseline", ping_pong_baseline);
  auto sizes = [](benchmark::internal::Benchmark* tcp) {
    tcp->Arg(1)->Arg(1024)->Arg(64 * 1024)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  probe("ping_pong_tcp/loop", ping_pong_tcp_loop)->Apply(sizes);
  probe("ping_pong_tcp/baseline", ping_pong_tcp_baseline)->Apply(sizes);
}

}  // namespace loopbench
