// Small tools cases share: file descriptors and a clock for latency.
//
// Everything here is plain POSIX, written once so that cases stay short and
// never leak a descriptor (the runner fails a case that does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace conformance {

/// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// A connected pair of UNIX stream sockets (throws std::system_error).
struct SocketPair {
  UniqueFd first;
  UniqueFd second;
};
SocketPair socket_pair(bool nonblocking = true);

/// Whether O_NONBLOCK is set on fd.
bool is_nonblocking(int fd);

/// Writes every byte or throws std::system_error: retries EINTR and short
/// writes, and on a non-blocking fd waits for room after EAGAIN.
void write_all(int fd, const void* data, std::size_t size);

/// Waits until a non-blocking fd has room again after EAGAIN from a write
/// (at most 10 s, a safety net: the cases write little, to peers that
/// read); throws std::system_error.
void wait_writable(int fd);

/// Whether fd is readable now (data, the end of the stream, or a pending
/// connection): an EAGAIN then was spurious, and the read worth retrying.
bool readable_now(int fd);

/// A monotonic clock in nanoseconds, for latency samples.
std::int64_t now_ns() noexcept;

}  // namespace conformance
