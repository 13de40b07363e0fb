// create_connection() and create_unix_connection(): resolve with Asio's
// resolver, connect an Asio socket, then start a StreamTransport on it.
#include <sys/socket.h>

#include "asio_event_loop.hpp"
#include "name_lookup.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/failed_attempts.hpp"
#include "reference/net/local_address.hpp"
#include "stream_sockets.hpp"

namespace loopcert_asio {

namespace net = pep3156::reference::net;
namespace tls = pep3156::reference::tls;
using pep3156::Coroutine;
using pep3156::StreamConnection;

namespace {

/// An Asio socket connected to the first of `remotes` that accepts.
pep3156::Coroutine<StreamSocket> connect_socket(AsioEventLoop& loop, StreamSocket socket,
                                                pep3156::SocketAddress address) {
  co_await connect(loop, socket, address);
  co_return socket;
}

/// A socket connected to the first of `remotes` that accepts; bound to
/// local_addr= by pep3156_net_support, connected by Asio.
Coroutine<StreamSocket> connect_to_first(AsioEventLoop& loop, std::vector<pep3156::AddrInfo> remotes,
                                         std::vector<pep3156::AddrInfo> locals, std::string what) {
  return net::connect_to_first<StreamSocket>(
      std::move(remotes), std::move(what),
      [&loop, locals = std::move(locals)](const pep3156::AddrInfo& remote) {
        return connect_socket(loop, adopt<StreamSocket>(loop, net::connection_socket(remote, locals)),
                              remote.address);
      });
}

Coroutine<StreamConnection> connect_tcp(AsioEventLoop& loop, pep3156::ProtocolFactory factory,
                                        std::string host, std::uint16_t port,
                                        pep3156::ConnectionOptions options,
                                        std::optional<tls::ClientTls> tls) {
  // LOOP-CONN-GAI-OPTIONS: family and flags reach getaddrinfo(); the
  // resolver's type is SOCK_STREAM.
  auto remotes =
      co_await resolve<asio::ip::tcp>(loop, host, port, options.family, options.proto, options.flags);
  std::vector<pep3156::AddrInfo> locals;
  if (options.local_addr) {
    locals = co_await resolve<asio::ip::tcp>(loop, options.local_addr->host, options.local_addr->port,
                                             options.family, options.proto, options.flags);
  }
  std::string what = "create_connection(" + host + ", " + std::to_string(port) + ")";
  StreamSocket socket = co_await connect_to_first(loop, std::move(remotes), std::move(locals), what);
  co_return co_await start_stream(loop, std::move(socket), std::move(factory), std::move(tls));
}

Coroutine<StreamConnection> connect_unix(AsioEventLoop& loop, pep3156::ProtocolFactory factory,
                                         pep3156::SocketAddress address, std::optional<tls::ClientTls> tls) {
  StreamSocket socket(loop.context());
  socket.open(asio::generic::stream_protocol(AF_UNIX, 0));
  co_await connect(loop, socket, address);
  co_return co_await start_stream(loop, std::move(socket), std::move(factory), std::move(tls));
}

}  // namespace

// Argument errors are thrown from the call; what happens on the network
// comes through the Future (D-TIER-3).

pep3156::Future<StreamConnection> AsioEventLoop::create_connection(pep3156::ProtocolFactory factory,
                                                                   std::string host, std::uint16_t port,
                                                                   pep3156::ConnectionOptions options) {
  check_open("create_connection()");
  auto tls = tls::client_tls(options, host, "create_connection()");
  if (auto sock = net::take_connection_sock(host, port, options)) {
    auto socket = adopt<StreamSocket>(*this, std::move(*sock));
    return create_task(start_stream(*this, std::move(socket), std::move(factory), std::move(tls)));
  }
  return create_task(
      connect_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

pep3156::Future<StreamConnection> AsioEventLoop::create_unix_connection(pep3156::ProtocolFactory factory,
                                                                        std::string path,
                                                                        pep3156::ConnectionOptions options) {
  check_open("create_unix_connection()");
  auto tls = tls::client_tls(options, "", "create_unix_connection()");
  if (auto sock = net::take_unix_connection_sock(path, options)) {
    auto socket = adopt<StreamSocket>(*this, std::move(*sock));
    return create_task(start_stream(*this, std::move(socket), std::move(factory), std::move(tls)));
  }
  pep3156::SocketAddress address = pep3156::SocketAddress::unix_path(path);
  return create_task(connect_unix(*this, std::move(factory), std::move(address), std::move(tls)));
}

}  // namespace loopcert_asio
