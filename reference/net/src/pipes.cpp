// connect_read_pipe() and connect_write_pipe(): a StreamTransport, resp. a
// WritePipeTransport, on the end of a pipe the caller hands over.
#include <sys/stat.h>

#include "connection_setup.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/socket_ops.hpp"
#include "reference/net/stream_transport.hpp"

namespace pep3156::reference::net {

namespace {

/// ValueError unless `pipe` is a FIFO, a socket or a character device, in
/// non-blocking mode (a regular file is always "ready" and cannot be polled).
void check_pipe(const Socket& pipe, const char* method) {
  unsigned mode = file_mode(pipe.fd());
  if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISCHR(mode)) {
    throw ValueError(std::string(method) + ": only pipes, sockets and character devices can be polled");
  }
  require_nonblocking(pipe.fd(), method);
}

template <class Result, class PipeTransport, class P>
Coroutine<Result> open_pipe(AbstractEventLoop& loop, Factory<P> factory, Socket pipe, StreamKind kind) {
  return start_protocol<Result>(loop, std::move(factory),
                                [&loop, pipe = std::move(pipe), kind](auto protocol, auto waiter) mutable {
                                  return PipeTransport::start(loop, std::move(pipe), kind, protocol, waiter);
                                });
}

}  // namespace

// An unusable pipe is an argument error, thrown here (decision D-TIER-3);
// the descriptor is closed with it, being ours from the call on (D-PIPE-3).

Future<ReadPipeConnection> connect_read_pipe(AbstractEventLoop& loop, ProtocolFactory factory, Socket pipe) {
  check_pipe(pipe, "connect_read_pipe()");
  return loop.create_task(open_pipe<ReadPipeConnection, StreamTransport>(
      loop, std::move(factory), std::move(pipe), StreamKind::read_pipe));
}

Future<WritePipeConnection> connect_write_pipe(AbstractEventLoop& loop, BaseProtocolFactory factory,
                                               Socket pipe) {
  check_pipe(pipe, "connect_write_pipe()");
  return loop.create_task(open_pipe<WritePipeConnection, WritePipeTransport>(
      loop, std::move(factory), std::move(pipe), StreamKind::write_pipe));
}

}  // namespace pep3156::reference::net
