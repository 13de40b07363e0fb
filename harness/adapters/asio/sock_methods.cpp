// sock_recv(), sock_sendall(), sock_connect(), sock_accept() on the
// caller's non-blocking socket, which stays the caller's: each is a Task
// that tries the system call and, while it would block, awaits the fd's
// readiness from an Asio async_wait() (add_reader()/add_writer(), whose
// stream_descriptor never owns the fd).
#include <fcntl.h>
#include <sys/socket.h>

#include "asio_event_loop.hpp"

namespace loopcert_asio {

using pep3156::Bytes;
using pep3156::Coroutine;

namespace {

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

[[noreturn]] void raise_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

/// ValueError unless fd is non-blocking (D-SOCK-1); std::system_error if
/// it is no descriptor. From the call, before any Future (D-TIER-3).
void check_socket(AsioEventLoop& loop, int fd, const char* method) {
  if (loop.is_closed()) throw pep3156::RuntimeError(std::string(method) + ": the event loop is closed");
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) raise_errno(errno, method);
  if ((flags & O_NONBLOCK) == 0) {
    throw pep3156::ValueError(std::string(method) + ": the socket must be in non-blocking mode");
  }
}

enum class Ready { to_read, to_write };

/// Done the next time fd is ready; cancelling it stops the wait.
pep3156::Future<void> ready(AsioEventLoop& loop, int fd, Ready what) {
  auto fired = loop.create_future<void>();
  auto stop = [&loop, fd, what] {
    if (what == Ready::to_read) {
      loop.remove_reader(fd);
    } else {
      loop.remove_writer(fd);
    }
  };
  auto on_ready = [fired, stop] {
    stop();
    if (!fired.done()) fired.set_result();
  };
  if (what == Ready::to_read) {
    loop.add_reader(fd, on_ready);
  } else {
    loop.add_writer(fd, on_ready);
  }
  fired.add_done_callback([stop](const pep3156::Future<void>& done) {
    if (done.cancelled()) stop();
  });
  return fired;
}

Coroutine<Bytes> receive(AsioEventLoop& loop, int fd, std::size_t n) {
  Bytes data(n);
  for (;;) {
    ssize_t got = ::recv(fd, data.data(), n, 0);
    if (got >= 0) {
      data.resize(static_cast<std::size_t>(got));  // empty: end of stream
      co_return data;
    }
    if (!would_block(errno)) raise_errno(errno, "sock_recv()");
    co_await ready(loop, fd, Ready::to_read);
  }
}

Coroutine<void> send_all(AsioEventLoop& loop, int fd, Bytes data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t count = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (count >= 0) {
      sent += static_cast<std::size_t>(count);
    } else if (would_block(errno)) {
      co_await ready(loop, fd, Ready::to_write);
    } else {
      raise_errno(errno, "sock_sendall()");
    }
  }
}

Coroutine<void> connect_socket(AsioEventLoop& loop, int fd, pep3156::SocketAddress address) {
  std::string what = "sock_connect(" + address.to_string() + ")";
  if (::connect(fd, address.data(), address.size()) == 0) co_return;
  if (errno != EINPROGRESS && errno != EINTR) raise_errno(errno, what);
  // In progress: writable once it has finished; SO_ERROR says how.
  for (;;) {
    co_await ready(loop, fd, Ready::to_write);
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error == 0) co_return;
    if (error != EINPROGRESS) raise_errno(error, what);
  }
}

Coroutine<pep3156::AcceptedSocket> accept_one(AsioEventLoop& loop, int fd) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int conn = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn >= 0) {
      co_return pep3156::AcceptedSocket{pep3156::Socket(conn),
                                        pep3156::SocketAddress(reinterpret_cast<sockaddr*>(&peer), length)};
    }
    // ECONNABORTED: a client that went away while queued; wait for the next.
    if (!would_block(errno) && errno != ECONNABORTED) raise_errno(errno, "sock_accept()");
    co_await ready(loop, fd, Ready::to_read);
  }
}

}  // namespace

pep3156::Future<Bytes> AsioEventLoop::sock_recv(int fd, std::size_t n) {
  check_socket(*this, fd, "sock_recv()");  // LOOP-SOCK-RECV
  return create_task(receive(*this, fd, n));
}

pep3156::Future<void> AsioEventLoop::sock_sendall(int fd, Bytes data) {
  check_socket(*this, fd, "sock_sendall()");  // LOOP-SOCK-SENDALL
  return create_task(send_all(*this, fd, std::move(data)));
}

pep3156::Future<void> AsioEventLoop::sock_connect(int fd, pep3156::SocketAddress address) {
  check_socket(*this, fd, "sock_connect()");  // LOOP-SOCK-CONNECT
  return create_task(connect_socket(*this, fd, std::move(address)));
}

pep3156::Future<pep3156::AcceptedSocket> AsioEventLoop::sock_accept(int fd) {
  check_socket(*this, fd, "sock_accept()");  // LOOP-SOCK-ACCEPT
  return create_task(accept_one(*this, fd));
}

}  // namespace loopcert_asio
