// The wrapped socket methods (PEP 3156, "Wrapped Socket Methods"): each a
// Task that tries the call and, while the socket would block, waits for
// libevent to report it ready (LibeventEventLoop::when_ready(), a one-shot
// event). Cancelling the method cancels the wait, and what the kernel held
// stays there (nothing is read or accepted after a cancel).
#include <sys/socket.h>

#include <cerrno>

#include "libevent_event_loop.hpp"
#include "net_support.hpp"

namespace pep3156::libevent_adapter {

namespace {

/// True for the errors that mean "not now": wait, then try again.
bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

Coroutine<Bytes> receive(LibeventEventLoop& loop, int fd, std::size_t n) {
  for (;;) {
    Bytes data(n);
    ssize_t got = ::recv(fd, data.data(), n, 0);
    if (got >= 0) {
      data.resize(static_cast<std::size_t>(got));
      co_return data;  // LOOP-SOCK-RECV: empty at end of stream
    }
    if (!would_block(errno)) throw_os_error(errno, "sock_recv()");
    co_await loop.when_ready(fd, EV_READ);
  }
}

Coroutine<void> send_all(LibeventEventLoop& loop, int fd, Bytes data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t count = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (count >= 0) {
      sent += static_cast<std::size_t>(count);
    } else if (would_block(errno)) {
      co_await loop.when_ready(fd, EV_WRITE);
    } else {
      throw_os_error(errno, "sock_sendall()");
    }
  }  // LOOP-SOCK-SENDALL: done only once every byte went
}

Coroutine<void> connect(LibeventEventLoop& loop, int fd, SocketAddress address) {
  std::string what = "connect(" + address.to_string() + ")";
  int error = ::connect(fd, address.data(), address.size()) == 0 ? 0 : errno;
  // In progress: writability means it has finished, and SO_ERROR says how.
  while (error == EINPROGRESS || error == EINTR) {
    co_await loop.when_ready(fd, EV_WRITE);
    error = socket_option(fd, SO_ERROR);
  }
  if (error != 0) throw_os_error(error, what);
}

Coroutine<AcceptedSocket> accept(LibeventEventLoop& loop, int fd) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int conn = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn >= 0)
      co_return AcceptedSocket{Socket(conn), SocketAddress(reinterpret_cast<sockaddr*>(&peer), length)};
    // A connection reset while queued is gone: wait for the next one.
    if (!would_block(errno) && errno != ECONNABORTED) throw_os_error(errno, "sock_accept()");
    co_await loop.when_ready(fd, EV_READ);
  }
}

}  // namespace

// Argument errors are raised by the call, the network's through the
// Future (decision D-TIER-3).

Future<Bytes> LibeventEventLoop::sock_recv(int fd, std::size_t n) {
  check_open("sock_recv()");
  require_nonblocking(fd, "sock_recv()");
  return create_task(receive(*this, fd, n));
}

Future<void> LibeventEventLoop::sock_sendall(int fd, Bytes data) {
  check_open("sock_sendall()");
  require_nonblocking(fd, "sock_sendall()");
  return create_task(send_all(*this, fd, std::move(data)));
}

Future<void> LibeventEventLoop::sock_connect(int fd, SocketAddress address) {
  check_open("sock_connect()");
  require_nonblocking(fd, "sock_connect()");
  return create_task(connect(*this, fd, std::move(address)));
}

Future<AcceptedSocket> LibeventEventLoop::sock_accept(int fd) {
  check_open("sock_accept()");
  require_nonblocking(fd, "sock_accept()");
  return create_task(accept(*this, fd));
}

}  // namespace pep3156::libevent_adapter
