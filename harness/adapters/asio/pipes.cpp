// connect_read_pipe() and connect_write_pipe(): a pipe transport on the
// end of a pipe the caller hands over, as an Asio posix::stream_descriptor.
#include "asio_event_loop.hpp"
#include "reference/net/caller_pipe.hpp"
#include "reference/net/connection_made.hpp"
#include "stream_transport.hpp"

namespace loopcert_asio {

namespace {

/// A new protocol and a `PipeTransport` on `pipe`, once connection_made()
/// has returned (D-NET-1). The descriptor becomes Asio's here, inside the
/// task, so that it never outlives the loop's io_context.
template <class Result, class PipeTransport, class P>
pep3156::Coroutine<Result> open_pipe(AsioEventLoop& loop, pep3156::Factory<P> factory, pep3156::Socket pipe) {
  std::shared_ptr<P> protocol = factory();  // LOOP-PIPE-FACTORY-ONCE
  if (!protocol) throw pep3156::TypeError("the protocol factory returned no protocol");
  auto waiter = loop.create_future<void>();
  auto transport =
      PipeTransport::start(loop, PipeDescriptor(loop.context(), pipe.release()), protocol, waiter);
  co_await pep3156::reference::net::connection_made(waiter, transport);
  co_return Result{transport, protocol};  // LOOP-PIPE-RESULT-PAIR
}

}  // namespace

// An unusable pipe is an argument error, thrown here (decision D-TIER-3);
// the descriptor is closed with it, being ours from the call on (D-PIPE-3).

pep3156::Future<pep3156::ReadPipeConnection> AsioEventLoop::connect_read_pipe(
    pep3156::ProtocolFactory factory, pep3156::Socket pipe) {
  check_open("connect_read_pipe()");
  pep3156::reference::net::check_caller_pipe(pipe, "connect_read_pipe()");
  return create_task(
      open_pipe<pep3156::ReadPipeConnection, ReadPipeTransport>(*this, std::move(factory), std::move(pipe)));
}

pep3156::Future<pep3156::WritePipeConnection> AsioEventLoop::connect_write_pipe(
    pep3156::BaseProtocolFactory factory, pep3156::Socket pipe) {
  check_open("connect_write_pipe()");
  pep3156::reference::net::check_caller_pipe(pipe, "connect_write_pipe()");
  return create_task(open_pipe<pep3156::WritePipeConnection, WritePipeTransport>(*this, std::move(factory),
                                                                                 std::move(pipe)));
}

}  // namespace loopcert_asio
