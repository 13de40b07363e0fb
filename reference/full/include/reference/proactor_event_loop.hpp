// ProactorEventLoop: the proactor loop with networking, what the reference
// adapter certifies as loop "io_uring":
//
//   auto loop = std::make_shared<ProactorEventLoop>(make_proactor("io_uring"));
//
// The core (CoreProactorEventLoop, reference/include) with its own
// sock_recv(), sock_sendall() and sock_accept(), which are proactor
// operations (src/proactor_sock_methods.cpp); its stream connections, TCP
// and UNIX-domain, client and server, TLS or not, run on
// ProactorStreamTransport, whose reads and writes are operations too, and
// its servers accept with operations (asyncio's proactor_events.py). The rest still comes from the readiness
// transports (ReadinessTransports, reference/transports): datagrams, pipes,
// subprocesses and UNIX-domain sock_connect() watch their
// descriptors through add_reader() and add_writer(), which this loop
// implements with poll operations (issue #16 has what is left).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "reference/core_proactor_event_loop.hpp"
#include "reference/readiness_transports.hpp"

namespace pep3156::reference {

class ProactorEventLoop final : public ReadinessTransports<CoreProactorEventLoop> {
 public:
  using ReadinessTransports::ReadinessTransports;

  // Stream connections on ProactorStreamTransport.
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options = {}) override;
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options = {}) override;

  // The wrapped socket methods, as operations (sock_connect() on a UNIX-domain
  // socket excepted: see its definition).
  Future<Bytes> sock_recv(int fd, std::size_t n) override;
  Future<void> sock_connect(int fd, SocketAddress address) override;
  Future<void> sock_sendall(int fd, Bytes data) override;
  Future<AcceptedSocket> sock_accept(int fd) override;

 private:
  /// Starts a ProactorStreamTransport, for the stream methods above.
  net::StartStreamTransport stream_transport();
  /// Accepts with operations, for the servers above.
  net::MakeAccepting accepting();

  /// Checks the loop and fd as every sock_*() does, then submits the
  /// operation, again while `finish` says the call is not done.
  FuturePtr start_sock_call(int fd, Events direction, const char* method,
                            std::function<OperationId(Proactor&, OnCompletion)> submit,
                            std::function<bool(FutureBase&, int)> finish);
};

}  // namespace pep3156::reference
