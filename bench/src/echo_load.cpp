// loopbench_echo_load: the load generator of the echo probe, a process of
// its own so that the loop under test shares nothing with it but the
// kernel. Raw epoll, no loop: N TCP connections to 127.0.0.1:PORT, each
// with one fixed-size message in flight (a closed loop: a connection sends
// its next message when the whole echo of the last one is back).
//
//   loopbench_echo_load PORT CONNECTIONS MESSAGE_BYTES
//
// Talks to the probe by lines: prints "ready" once every connection is
// established; then for each line "K" read on stdin makes K round trips
// (spread over the connections) and prints "done NANOSECONDS"; at the end
// of stdin prints "latency P50_NS P99_NS" over every round trip so far
// (send of a message to the last byte of its echo) and exits 0. Any
// failure (a connection closed, no reply within kStallSeconds) prints
// "error WHAT" and exits 1: a loop that loses bytes fails the probe, it
// does not hang it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

constexpr int kStallSeconds = 10;             // a safety net: the probe never waits this long
constexpr std::size_t kMaxSamples = 1 << 22;  // latency samples kept (the first 4 M round trips)

std::int64_t now_ns() {
  timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

[[noreturn]] void fail_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Connection {
  int fd = -1;
  std::size_t received = 0;  // bytes of the current echo
  std::int64_t sent_at = 0;  // 0: no message in flight
};

class Load {
 public:
  Load(std::uint16_t port, int connections, std::size_t message) : message_(message, 'x'), buffer_(message) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) fail_errno("epoll_create1");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    connections_.resize(static_cast<std::size_t>(connections));
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) fail_errno("socket");
      connections_[i].fd = fd;
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail_errno("connect");
      int on = 1;
      if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
        fail_errno("setsockopt(TCP_NODELAY)");
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) fail_errno("epoll_ctl");
    }
  }

  /// Makes `round_trips` round trips; the nanoseconds they took.
  std::int64_t run(long round_trips) {
    std::int64_t start = now_ns();
    long to_send = round_trips;
    long in_flight = 0;
    for (Connection& connection : connections_) {
      if (to_send == 0) break;
      send(connection);
      --to_send;
      ++in_flight;
    }
    std::vector<epoll_event> events(connections_.size());
    while (in_flight > 0) {
      int ready = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), kStallSeconds * 1000);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) fail_errno("epoll_wait");
      if (ready == 0) throw std::runtime_error("no echo for " + std::to_string(kStallSeconds) + " s");
      for (int i = 0; i < ready; ++i) {
        Connection& connection = connections_[events[i].data.u64];
        if (!receive(connection)) continue;
        --in_flight;
        if (to_send > 0) {
          send(connection);
          --to_send;
          ++in_flight;
        }
      }
    }
    return now_ns() - start;
  }

  /// Nearest-rank percentile of the round trips so far, in nanoseconds.
  std::int64_t percentile(double fraction) {
    if (samples_.empty()) return 0;
    std::size_t rank = static_cast<std::size_t>(fraction * static_cast<double>(samples_.size() - 1));
    std::nth_element(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(rank), samples_.end());
    return samples_[rank];
  }

 private:
  void send(Connection& connection) {
    connection.sent_at = now_ns();
    connection.received = 0;
    // One message fits in an empty socket buffer: the write is whole.
    ssize_t n = ::write(connection.fd, message_.data(), message_.size());
    if (n < 0) fail_errno("write");
    if (static_cast<std::size_t>(n) != message_.size()) throw std::runtime_error("short write");
  }

  /// Reads what has arrived; true once the whole echo is back.
  bool receive(Connection& connection) {
    ssize_t n = ::read(connection.fd, buffer_.data(), message_.size() - connection.received);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    if (n < 0) fail_errno("read");
    if (n == 0) throw std::runtime_error("the server closed a connection");
    if (connection.sent_at == 0) throw std::runtime_error("bytes nobody sent arrived");
    connection.received += static_cast<std::size_t>(n);
    if (connection.received < message_.size()) return false;
    if (samples_.size() < kMaxSamples) samples_.push_back(now_ns() - connection.sent_at);
    connection.sent_at = 0;
    return true;
  }

  int epoll_ = -1;
  std::vector<Connection> connections_;
  std::string message_;
  std::vector<char> buffer_;
  std::vector<std::int64_t> samples_;
};

int serve(std::uint16_t port, int connections, std::size_t message) {
  Load load(port, connections, message);
  std::printf("ready\n");
  std::fflush(stdout);
  char line[64];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    long round_trips = std::atol(line);
    if (round_trips <= 0) throw std::runtime_error(std::string("not a number of round trips: ") + line);
    std::printf("done %lld\n", static_cast<long long>(load.run(round_trips)));
    std::fflush(stdout);
  }
  std::printf("latency %lld %lld\n", static_cast<long long>(load.percentile(0.5)),
              static_cast<long long>(load.percentile(0.99)));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = argc == 4 ? std::atoi(argv[1]) : 0;
  int connections = argc == 4 ? std::atoi(argv[2]) : 0;
  long message = argc == 4 ? std::atol(argv[3]) : 0;
  if (port <= 0 || port > 65535 || connections <= 0 || message <= 0 || message > 4096) {
    std::fprintf(stderr, "usage: loopbench_echo_load PORT CONNECTIONS MESSAGE_BYTES (1 to 4096)\n");
    return 2;
  }
  try {
    return serve(static_cast<std::uint16_t>(port), connections, static_cast<std::size_t>(message));
  } catch (const std::exception& e) {
    std::printf("error %s\n", e.what());
    return 1;
  }
}
