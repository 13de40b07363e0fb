#include "reference/net/sock_methods.hpp"

#include <sys/socket.h>

#include <memory>

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {

enum class Readiness { readable, writable };

/// One attempt of a wrapped socket method: completes `future` (result or
/// exception) and returns true, or returns false if the socket is not
/// ready yet.
using Attempt = UniqueFunction<bool(FutureBase& future)>;

bool run_attempt(Attempt& attempt, FutureBase& future) {
  try {
    return attempt(future);
  } catch (...) {
    future.set_exception(std::current_exception());
    return true;
  }
}

void stop_watching(AbstractEventLoop& loop, int fd, Readiness readiness) {
  if (readiness == Readiness::readable) {
    loop.remove_reader(fd);
  } else {
    loop.remove_writer(fd);
  }
}

/// The pattern every wrapped socket method shares (see the file comment of
/// sock_methods.hpp).
FuturePtr when_ready(AbstractEventLoop& loop, int fd, Readiness readiness, const char* method,
                     Attempt attempt) {
  // Argument errors are thrown here (decision D-TIER-3).
  if (loop.is_closed()) throw RuntimeError(std::string(method) + ": the event loop is closed");
  require_nonblocking(fd, method);
  FuturePtr future = loop.create_future();
  if (run_attempt(attempt, *future)) return future;

  auto retry = [&loop, fd, readiness, future, attempt = std::make_shared<Attempt>(std::move(attempt))] {
    if (future->done() || run_attempt(*attempt, *future)) stop_watching(loop, fd, readiness);
  };
  if (readiness == Readiness::readable) {
    loop.add_reader(fd, std::move(retry));
  } else {
    loop.add_writer(fd, std::move(retry));
  }
  future->add_done_callback([&loop, fd, readiness](const FuturePtr& done) {
    if (done->cancelled()) stop_watching(loop, fd, readiness);
  });
  return future;
}

}  // namespace

Future<Bytes> sock_recv(AbstractEventLoop& loop, int fd, std::size_t n) {
  return Future<Bytes>(when_ready(loop, fd, Readiness::readable, "sock_recv()", [fd, n](FutureBase& future) {
    Bytes data(n);
    IoResult got = read_some(fd, data);
    if (got.would_block()) return false;
    if (got.error != 0) throw_system_error(got.error, "sock_recv()");
    data.resize(got.count);
    future.set_result_value(Value(std::move(data)));
    return true;
  }));
}

Future<void> sock_sendall(AbstractEventLoop& loop, int fd, Bytes data) {
  auto attempt = [fd, data = std::move(data), sent = std::size_t{0}](FutureBase& future) mutable {
    while (sent < data.size()) {
      iovec rest = as_iovec(BytesView(data).subspan(sent));
      IoResult result = write_some(fd, true, std::span(&rest, 1));
      if (result.would_block()) return false;
      if (result.error != 0) throw_system_error(result.error, "sock_sendall()");
      sent += result.count;
    }
    future.set_result_value(Value());
    return true;
  };
  return Future<void>(when_ready(loop, fd, Readiness::writable, "sock_sendall()", std::move(attempt)));
}

Future<void> sock_connect(AbstractEventLoop& loop, int fd, SocketAddress address) {
  // The first attempt calls connect(); once it is in progress, writability
  // means it has finished, and SO_ERROR says how.
  auto attempt = [fd, address, started = false](FutureBase& future) mutable {
    int error = 0;
    if (!started) {
      started = true;
      if (::connect(fd, address.data(), address.size()) != 0) error = errno;
      if (error == EINPROGRESS || error == EINTR) return false;
    } else {
      error = socket_option(fd, SO_ERROR);
      if (error == EINPROGRESS) return false;
    }
    if (error != 0) throw_system_error(error, ("connect(" + address.to_string() + ")").c_str());
    future.set_result_value(Value());
    return true;
  };
  return Future<void>(when_ready(loop, fd, Readiness::writable, "sock_connect()", std::move(attempt)));
}

Future<AcceptedSocket> sock_accept(AbstractEventLoop& loop, int fd) {
  return Future<AcceptedSocket>(
      when_ready(loop, fd, Readiness::readable, "sock_accept()", [fd](FutureBase& future) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        int conn = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn < 0) {
          // A connection reset while queued is gone; wait for the next one.
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
            return false;
          throw_errno("sock_accept()");
        }
        AcceptedSocket accepted{Socket(conn), SocketAddress(reinterpret_cast<sockaddr*>(&peer), length)};
        future.set_result_value(Value(std::move(accepted)));
        return true;
      }));
}

}  // namespace pep3156::reference::net
