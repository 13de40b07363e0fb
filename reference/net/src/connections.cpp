// create_connection() and create_unix_connection(): connect a stream
// socket, then put a StreamTransport and a new protocol on it.
#include <sys/socket.h>

#include "connection_setup.hpp"
#include "reference/net/client_stream.hpp"
#include "reference/net/local_address.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/socket_ops.hpp"
#include "reference/net/stream_transport.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::reference::net {

namespace {

/// `sock`, once connected to `address`.
Coroutine<Socket> connect_socket(AbstractEventLoop& loop, Socket sock, SocketAddress address) {
  co_await loop.sock_connect(sock.fd(), address);
  co_return sock;
}

/// A connected stream socket with a transport and a new protocol on it
/// (with `tls`, the TLS layer between them), once connection_made() has
/// returned.
Coroutine<StreamConnection> start_stream(AbstractEventLoop& loop, Socket sock, ProtocolFactory factory,
                                         std::optional<tls::ClientTls> tls,
                                         StartStreamTransport start_transport) {
  return start_client_stream(loop, std::move(factory), std::move(tls),
                             [sock = std::move(sock), start_transport = std::move(start_transport)](
                                 std::shared_ptr<Protocol> lower, Future<void> waiter) mutable {
                               return start_transport(std::move(sock), std::move(lower), waiter, {});
                             });
}

Coroutine<StreamConnection> connect_tcp(AbstractEventLoop& loop, ProtocolFactory factory, std::string host,
                                        std::uint16_t port, ConnectionOptions options,
                                        std::optional<tls::ClientTls> tls,
                                        StartStreamTransport start_transport) {
  ConnectionAddresses addresses = co_await resolve_connection(loop, host, port, std::move(options));
  std::string what = "create_connection(" + host + ", " + std::to_string(port) + ")";
  Socket sock = co_await connect_to_first<Socket>(
      std::move(addresses.remotes), what, [&loop, &addresses](const AddrInfo& remote) {
        return connect_socket(loop, connection_socket(remote, addresses.locals), remote.address);
      });
  co_return co_await start_stream(loop, std::move(sock), std::move(factory), std::move(tls),
                                  std::move(start_transport));
}

Coroutine<StreamConnection> connect_unix(AbstractEventLoop& loop, ProtocolFactory factory,
                                         SocketAddress address, std::optional<tls::ClientTls> tls,
                                         StartStreamTransport start_transport) {
  Socket sock = open_socket(AF_UNIX, SOCK_STREAM, 0);
  co_await loop.sock_connect(sock.fd(), address);
  co_return co_await start_stream(loop, std::move(sock), std::move(factory), std::move(tls),
                                  std::move(start_transport));
}

}  // namespace

// Argument errors are thrown here; what happens on the network comes
// through the Future (decision D-TIER-3).

Future<StreamConnection> create_connection(AbstractEventLoop& loop, ProtocolFactory factory, std::string host,
                                           std::uint16_t port, ConnectionOptions options,
                                           StartStreamTransport start_transport) {
  auto tls = tls::client_tls(options, host, "create_connection()");
  start_transport = or_readiness_transport(loop, std::move(start_transport));
  if (auto sock = take_connection_sock(host, port, options)) {
    return loop.create_task(
        start_stream(loop, std::move(*sock), std::move(factory), std::move(tls), std::move(start_transport)));
  }
  return loop.create_task(connect_tcp(loop, std::move(factory), std::move(host), port, std::move(options),
                                      std::move(tls), std::move(start_transport)));
}

Future<StreamConnection> create_unix_connection(AbstractEventLoop& loop, ProtocolFactory factory,
                                                std::string path, ConnectionOptions options,
                                                StartStreamTransport start_transport) {
  auto tls = tls::client_tls(options, "", "create_unix_connection()");
  start_transport = or_readiness_transport(loop, std::move(start_transport));
  if (auto sock = take_unix_connection_sock(path, options)) {
    return loop.create_task(
        start_stream(loop, std::move(*sock), std::move(factory), std::move(tls), std::move(start_transport)));
  }
  SocketAddress address = SocketAddress::unix_path(path);
  return loop.create_task(
      connect_unix(loop, std::move(factory), std::move(address), std::move(tls), std::move(start_transport)));
}

}  // namespace pep3156::reference::net
