// connect_read_pipe() and connect_write_pipe(): a BuffereventTransport on
// the end of a pipe the caller hands over (a socket bufferevent reads and
// writes a pipe as well as a socket).
#include "connection_start.hpp"
#include "net_support.hpp"
#include "reference/net/caller_pipe.hpp"

namespace pep3156::libevent_adapter {

namespace {

using reference::net::check_caller_pipe;

template <class Result, class PipeTransport, class P>
Coroutine<Result> open_pipe(LibeventEventLoop& loop, Factory<P> factory, Socket pipe, StreamKind kind) {
  std::shared_ptr<P> protocol = make_protocol(factory);
  auto waiter = loop.create_future<void>();
  auto transport =
      PipeTransport::start(loop, make_bufferevent(loop, std::move(pipe)), kind, protocol, waiter);
  co_await connection_made(waiter, transport);
  co_return Result{transport, protocol};
}

}  // namespace

// An unusable pipe is an argument error, thrown here (decision D-TIER-3);
// the descriptor is closed with it, being ours from the call on (D-PIPE-3).

Future<ReadPipeConnection> LibeventEventLoop::connect_read_pipe(ProtocolFactory factory, Socket pipe) {
  check_open("connect_read_pipe()");
  check_caller_pipe(pipe, "connect_read_pipe()");
  return create_task(open_pipe<ReadPipeConnection, StreamTransport>(*this, std::move(factory),
                                                                    std::move(pipe), StreamKind::read_pipe));
}

Future<WritePipeConnection> LibeventEventLoop::connect_write_pipe(BaseProtocolFactory factory, Socket pipe) {
  check_open("connect_write_pipe()");
  check_caller_pipe(pipe, "connect_write_pipe()");
  return create_task(open_pipe<WritePipeConnection, WritePipeTransport>(
      *this, std::move(factory), std::move(pipe), StreamKind::write_pipe));
}

}  // namespace pep3156::libevent_adapter
