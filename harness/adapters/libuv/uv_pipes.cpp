// connect_read_pipe() and connect_write_pipe(): the caller's pipe end in a
// uv_pipe_t (uv_pipe_open()), with a libuv stream transport on it.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "uv_connection_setup.hpp"

namespace loopcert_libuv {

namespace {

/// ValueError unless `pipe` is a FIFO, a socket or a character device, in
/// non-blocking mode: a regular file is always "ready" and cannot be polled.
/// libuv abort()s if epoll refuses a stream's fd (uv__io_poll()), which it
/// does for some character devices (/dev/null): those are refused here.
void check_pipe(const Socket& pipe, const char* method) {
  struct stat info {};
  if (::fstat(pipe.fd(), &info) != 0) throw_os_error(method);
  if (!S_ISFIFO(info.st_mode) && !S_ISSOCK(info.st_mode) && !S_ISCHR(info.st_mode)) {
    throw ValueError(std::string(method) + ": only pipes, sockets and character devices can be polled");
  }
  int flags = ::fcntl(pipe.fd(), F_GETFL);
  if (flags < 0) throw_os_error(method);
  if ((flags & O_NONBLOCK) == 0) throw ValueError(std::string(method) + ": the pipe must be non-blocking");
  if (S_ISCHR(info.st_mode)) {
    Socket probe(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event event{};
    if (!probe || ::epoll_ctl(probe.fd(), EPOLL_CTL_ADD, pipe.fd(), &event) != 0) {
      throw ValueError(std::string(method) + ": this character device cannot be polled");
    }
  }
}

/// The pipe end in a uv_pipe_t; the descriptor is the handle's from now on.
UvStreamPtr pipe_on(UvEventLoop& loop, Socket pipe) {
  UvStreamPtr stream = pipe_handle(loop);
  if (int status = uv_pipe_open(&stream->pipe, pipe.fd()); status < 0)
    throw_uv_error(status, "uv_pipe_open()");
  pipe.release();
  return stream;
}

template <class Result, class P, class Start>
Coroutine<Result> start_pipe(UvEventLoop& loop, Factory<P> factory, Start start) {
  std::shared_ptr<P> protocol = make_protocol(factory);  // LOOP-PIPE-FACTORY-ONCE
  auto waiter = loop.create_future<void>();
  auto transport = start(protocol, waiter);
  co_await connection_made(waiter, transport);
  co_return Result{transport, protocol};  // LOOP-PIPE-RESULT-PAIR
}

}  // namespace

// An unusable pipe is an argument error, thrown here (D-TIER-3); the
// descriptor is closed with it, being ours from the call on (D-PIPE-3).

Future<ReadPipeConnection> UvEventLoop::connect_read_pipe(ProtocolFactory factory, Socket pipe) {
  check_open("connect_read_pipe()");
  check_pipe(pipe, "connect_read_pipe()");
  auto start = [this, stream = pipe_on(*this, std::move(pipe))](auto protocol, auto waiter) mutable {
    return start_stream_transport(*this, std::move(stream), StreamKind::read_pipe, protocol, waiter);
  };
  return create_task(start_pipe<ReadPipeConnection>(*this, std::move(factory), std::move(start)));
}

Future<WritePipeConnection> UvEventLoop::connect_write_pipe(BaseProtocolFactory factory, Socket pipe) {
  check_open("connect_write_pipe()");
  check_pipe(pipe, "connect_write_pipe()");
  auto start = [this, stream = pipe_on(*this, std::move(pipe))](auto protocol, auto waiter) mutable {
    return start_write_pipe_transport(*this, std::move(stream), protocol, waiter);
  };
  return create_task(start_pipe<WritePipeConnection>(*this, std::move(factory), std::move(start)));
}

}  // namespace loopcert_libuv
