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

/// Blocking write of all `size` bytes.
void write_all(int fd, const void* data, std::size_t size);
/// Blocking read of exactly `size` bytes; false at end of stream.
bool read_exactly(int fd, void* data, std::size_t size);

}  // namespace loopbench
