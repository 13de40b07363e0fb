// What the baselines are made of: raw syscalls, wrapped only enough to close
// what they open and to fail loudly (std::system_error carrying errno).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace loopbench {

/// An owned file descriptor.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  ~Fd();

  int get() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

/// clock_gettime(CLOCK_MONOTONIC) in nanoseconds: the clock every baseline
/// and every cross-thread timestamp uses.
std::int64_t monotonic_ns() noexcept;

/// A non-blocking eventfd, initially zero.
Fd make_eventfd();
/// An epoll instance.
Fd make_epoll();
/// Registers `fd` with `epoll` for reading.
void epoll_watch(int epoll, int fd);
/// A connected pair of blocking UNIX stream sockets.
std::pair<Fd, Fd> make_socketpair();
/// Makes `fd` non-blocking.
void set_non_blocking(int fd);

/// A TCP socket listening on 127.0.0.1 at a port the kernel picks, with a
/// backlog of kBacklog: every connection of the largest probe completes
/// its handshake before the listener accepts it, none waits for a SYN
/// retransmission.
inline constexpr int kBacklog = 1024;
Fd make_tcp_listener();
/// The port a bound socket has.
std::uint16_t local_port(int fd);
/// A blocking TCP connection to 127.0.0.1:port, with TCP_NODELAY (a
/// round trip must not wait for Nagle's algorithm).
Fd tcp_connect(std::uint16_t port);
/// A connected pair of blocking TCP sockets over loopback, both with
/// TCP_NODELAY.
std::pair<Fd, Fd> make_tcp_pair();

/// Blocking write of all `size` bytes.
void write_all(int fd, const void* data, std::size_t size);
/// Blocking read of exactly `size` bytes; false at end of stream.
bool read_exactly(int fd, void* data, std::size_t size);

}  // namespace loopbench
