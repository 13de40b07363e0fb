#include "reference/net/socket_ops.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <string>
#include <system_error>
#include <vector>

#include "pep3156/errors.hpp"

namespace pep3156::reference::net {

namespace {

IoResult outcome(ssize_t n) {
  if (n < 0) return {0, errno};
  return {static_cast<std::size_t>(n), 0};
}

int iov_count(std::span<const iovec> buffers) {
  return static_cast<int>(std::min<std::size_t>(buffers.size(), IOV_MAX));
}

/// writev() with SIGPIPE held back: see the file comment of socket_ops.hpp.
ssize_t writev_without_sigpipe(int fd, std::span<const iovec> buffers) {
  sigset_t sigpipe_only;
  sigset_t previous;
  sigemptyset(&sigpipe_only);
  sigaddset(&sigpipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigpipe_only, &previous);
  sigset_t pending;
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGPIPE) == 1;  // not ours to consume

  ssize_t n;
  do {
    n = ::writev(fd, buffers.data(), iov_count(buffers));
  } while (n < 0 && errno == EINTR);
  int saved = errno;

  if (n < 0 && saved == EPIPE && !already_pending) {
    timespec no_wait{};
    while (sigtimedwait(&sigpipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
  return n;
}

}  // namespace

IoResult read_some(int fd, std::span<std::byte> into) {
  ssize_t n;
  do {
    n = ::read(fd, into.data(), into.size());
  } while (n < 0 && errno == EINTR);
  return outcome(n);
}

IoResult receive_datagram(int fd, std::span<std::byte> into, SocketAddress& sender) {
  sockaddr_storage from{};
  socklen_t length = sizeof from;
  ssize_t n;
  do {
    n = ::recvfrom(fd, into.data(), into.size(), 0, reinterpret_cast<sockaddr*>(&from), &length);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) sender = SocketAddress(reinterpret_cast<sockaddr*>(&from), length);
  return outcome(n);
}

IoResult send_datagram(int fd, BytesView data, const SocketAddress* to) {
  ssize_t n;
  do {
    n = ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, to ? to->data() : nullptr, to ? to->size() : 0);
  } while (n < 0 && errno == EINTR);
  return outcome(n);
}

std::span<std::byte> receive_buffer() {
  thread_local std::vector<std::byte> buffer(256 * 1024);
  return buffer;
}

IoResult write_some(int fd, bool is_socket, std::span<const iovec> buffers) {
  if (!is_socket) return outcome(writev_without_sigpipe(fd, buffers));
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(buffers.data());
  message.msg_iovlen = static_cast<std::size_t>(iov_count(buffers));
  ssize_t n;
  do {
    n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return outcome(n);
}

Socket open_socket(int family, int type, int protocol) {
  Socket sock(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (!sock) throw_errno("socket");
  return sock;
}

void require_nonblocking(int fd, const char* method) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_errno(method);
  if ((flags & O_NONBLOCK) == 0) {
    throw ValueError(std::string(method) + ": the descriptor must be in non-blocking mode");
  }
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

unsigned file_mode(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw_errno("fstat");
  return info.st_mode;
}

int socket_option(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) throw_errno("getsockopt");
  return value;
}

void bind_to(int fd, const SocketAddress& address) {
  if (::bind(fd, address.data(), address.size()) != 0) {
    throw_errno(("bind(" + address.to_string() + ")").c_str());
  }
}

std::exception_ptr os_error(int err, const std::string& what) {
  return std::make_exception_ptr(std::system_error(err, std::generic_category(), what));
}

bool host_has_ipv6_loopback() {
  try {
    Socket probe = open_socket(AF_INET6, SOCK_STREAM, 0);
    bind_to(probe.fd(), SocketAddress("::1", 0));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace pep3156::reference::net
