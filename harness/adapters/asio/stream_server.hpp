// StreamServer: what create_server() and create_unix_server() return (PEP
// 3156, "Servers"): Asio acceptors, each with one async_accept() pending,
// and a StreamTransport with a new protocol for each accepted connection.
#pragma once

#include <asio/basic_socket_acceptor.hpp>
#include <memory>
#include <vector>

#include "loop_resource.hpp"
#include "reference/net/server_connections.hpp"
#include "reference/tls/tls_options.hpp"
#include "stream_transport.hpp"

namespace loopcert_asio {

using StreamAcceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

class StreamServer : public pep3156::Server,
                     public LoopResource,
                     public std::enable_shared_from_this<StreamServer> {
 public:
  /// Listens on `bound` (acceptors already bound) and serves each
  /// connection with a protocol from `factory`, behind the TLS layer if
  /// `tls`. `on_close` runs once, at close() (a UNIX server removes its
  /// socket file).
  static std::shared_ptr<StreamServer> start(AsioEventLoop& loop, std::vector<StreamAcceptor> bound,
                                             int backlog, pep3156::ProtocolFactory factory,
                                             std::optional<pep3156::reference::tls::ServerTls> tls,
                                             pep3156::Callback on_close = {});

  struct Private {};
  StreamServer(Private, AsioEventLoop& loop, pep3156::ProtocolFactory factory,
               std::optional<pep3156::reference::tls::ServerTls> tls, pep3156::Callback on_close);

  void close() override;
  pep3156::Future<void> wait_closed() override;
  std::vector<pep3156::ListeningSocket> sockets() const override;

  void release_io() noexcept override;

 private:
  struct Listener {
    StreamAcceptor acceptor;
    int fd;
    pep3156::SocketAddress address;
  };

  void accept_next(std::size_t index);
  void accepted(std::size_t index, asio::error_code error, StreamSocket connection);
  void serve(StreamSocket connection);

  AsioEventLoop& loop_;
  pep3156::ProtocolFactory factory_;
  std::optional<pep3156::reference::tls::ServerTls> tls_;
  pep3156::Callback on_close_;
  std::vector<Listener> listeners_;
  pep3156::reference::net::ServerConnections connections_;  // for wait_closed()
  bool closed_ = false;
  bool starved_ = false;  // accept() failed (EMFILE...): reported once until one succeeds
};

}  // namespace loopcert_asio
