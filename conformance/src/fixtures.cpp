#include "conformance/fixtures.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>

namespace conformance {

namespace {
[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_flag(int fd, int get, int set, int flag) {
  int flags = ::fcntl(fd, get);
  if (flags < 0 || ::fcntl(fd, set, flags | flag) < 0) throw_errno("fcntl");
}
}  // namespace

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

SocketPair socket_pair(bool nonblocking) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) throw_errno("socketpair");
  SocketPair pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (int fd : fds) {
    set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC);
    if (nonblocking) set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK);
  }
  return pair;
}

bool is_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_errno("fcntl(F_GETFL)");
  return (flags & O_NONBLOCK) != 0;
}

void write_all(int fd, const void* data, std::size_t size) {
  const char* next = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, next, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_writable(fd);
      continue;
    }
    if (n < 0) throw_errno("write");
    next += n;
    size -= static_cast<std::size_t>(n);
  }
}

void wait_writable(int fd) {
  pollfd writable{fd, POLLOUT, 0};
  int ready;
  while ((ready = ::poll(&writable, 1, 10000)) < 0 && errno == EINTR) {
  }
  if (ready < 0) throw_errno("poll");
  if (ready == 0) throw std::system_error(EAGAIN, std::generic_category(), "write: no room for 10 s");
}

bool readable_now(int fd) {
  pollfd readable{fd, POLLIN, 0};
  int ready;
  while ((ready = ::poll(&readable, 1, 0)) < 0 && errno == EINTR) {
  }
  return ready == 1;
}

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace conformance
