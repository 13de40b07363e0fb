// sock_recv(), sock_sendall(), sock_connect() and sock_accept() on the
// caller's non-blocking socket: each tries the call at once and, if the
// socket is not ready, retries whenever the loop's uv_poll_t watcher for
// it fires (add_reader()/add_writer() of this loop), as asyncio does.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "uv_event_loop.hpp"
#include "uv_handle.hpp"

namespace loopcert_libuv {

namespace {

enum class Wait { readable, writable };

/// One try of a socket call: true once it has completed `future` (with a
/// result or an exception), false if the socket was not ready.
using Try = UniqueFunction<bool(FutureBase& future)>;

bool try_once(Try& attempt, FutureBase& future) {
  try {
    return attempt(future);
  } catch (...) {
    future.set_exception(std::current_exception());
    return true;
  }
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

/// Tries now, then on every readiness of `fd` until done or cancelled.
FuturePtr until_done(UvEventLoop& loop, int fd, Wait wait, const char* method, Try attempt) {
  // Argument errors are thrown here (D-TIER-3).
  if (loop.is_closed()) throw RuntimeError(std::string(method) + ": the event loop is closed");
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_os_error(method);
  if ((flags & O_NONBLOCK) == 0) throw ValueError(std::string(method) + ": the socket must be non-blocking");
  FuturePtr future = loop.create_future();
  if (try_once(attempt, *future)) return future;

  auto stop = [&loop, fd, wait] {
    if (wait == Wait::readable) {
      loop.remove_reader(fd);
    } else {
      loop.remove_writer(fd);
    }
  };
  auto retry = [stop, future, attempt = std::make_shared<Try>(std::move(attempt))] {
    if (future->done() || try_once(*attempt, *future)) stop();
  };
  if (wait == Wait::readable) {
    loop.add_reader(fd, std::move(retry));
  } else {
    loop.add_writer(fd, std::move(retry));
  }
  future->add_done_callback([stop](const FuturePtr& done) {
    if (done->cancelled()) stop();
  });
  return future;
}

}  // namespace

Future<Bytes> UvEventLoop::sock_recv(int fd, std::size_t n) {
  return Future<Bytes>(until_done(*this, fd, Wait::readable, "sock_recv()", [fd, n](FutureBase& future) {
    Bytes data(n);
    ssize_t got = ::recv(fd, data.data(), n, 0);
    if (got < 0 && would_block(errno)) return false;
    if (got < 0) throw_os_error("sock_recv()");
    data.resize(static_cast<std::size_t>(got));
    future.set_result_value(Value(std::move(data)));
    return true;
  }));
}

Future<void> UvEventLoop::sock_sendall(int fd, Bytes data) {
  auto attempt = [fd, data = std::move(data), sent = std::size_t{0}](FutureBase& future) mutable {
    while (sent < data.size()) {
      ssize_t count = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (count < 0 && would_block(errno)) return false;
      if (count < 0) throw_os_error("sock_sendall()");
      sent += static_cast<std::size_t>(count);
    }
    future.set_result_value(Value());
    return true;
  };
  return Future<void>(until_done(*this, fd, Wait::writable, "sock_sendall()", std::move(attempt)));
}

Future<void> UvEventLoop::sock_connect(int fd, SocketAddress address) {
  // The first try calls connect(); once it is in progress, writability
  // means it has finished, and SO_ERROR says how.
  auto attempt = [fd, address, in_progress = false](FutureBase& future) mutable {
    int error = 0;
    if (!in_progress) {
      in_progress = true;
      if (::connect(fd, address.data(), address.size()) != 0) error = errno;
      if (error == EINPROGRESS || error == EINTR) return false;
    } else {
      socklen_t length = sizeof error;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      if (error == EINPROGRESS) return false;
    }
    if (error != 0) throw_os_error("connect(" + address.to_string() + ")", error);
    future.set_result_value(Value());
    return true;
  };
  return Future<void>(until_done(*this, fd, Wait::writable, "sock_connect()", std::move(attempt)));
}

Future<AcceptedSocket> UvEventLoop::sock_accept(int fd) {
  return Future<AcceptedSocket>(
      until_done(*this, fd, Wait::readable, "sock_accept()", [fd](FutureBase& future) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        int conn = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        // A connection reset while queued is gone: wait for the next one.
        if (conn < 0 && (would_block(errno) || errno == ECONNABORTED)) return false;
        if (conn < 0) throw_os_error("sock_accept()");
        future.set_result_value(
            Value(AcceptedSocket{Socket(conn), SocketAddress(reinterpret_cast<sockaddr*>(&peer), length)}));
        return true;
      }));
}

}  // namespace loopcert_libuv
