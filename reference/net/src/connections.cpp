// create_connection() and create_unix_connection(): connect a stream
// socket, then put a StreamTransport and a new protocol on it.
#include <sys/socket.h>

#include "connection_setup.hpp"
#include "reference/net/local_address.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/socket_ops.hpp"
#include "reference/net/stream_transport.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::reference::net {

namespace {

/// A socket connected to the first of `remotes` that accepts.
Coroutine<Socket> connect_to_first(AbstractEventLoop& loop, std::vector<AddrInfo> remotes,
                                   std::vector<AddrInfo> locals, std::string what) {
  FailedAttempts failures;
  for (const AddrInfo& remote : remotes) {
    try {
      Socket sock = open_socket(remote.family, SOCK_STREAM, remote.protocol);
      if (!locals.empty()) bind_local(sock, remote.family, locals);
      co_await loop.sock_connect(sock.fd(), remote.address);
      co_return sock;
    } catch (const std::system_error&) {
      failures.add(remote.address, std::current_exception());
    }
  }
  failures.raise(what);
}

/// A connected stream socket with a transport and a new protocol on it,
/// once connection_made() has returned. With `tls`, the TLS layer is the
/// stream transport's protocol and the new protocol's transport, and
/// connection_made() comes after the handshake (D-NET-1).
Coroutine<StreamConnection> start_stream(AbstractEventLoop& loop, Socket sock, ProtocolFactory factory,
                                         std::optional<tls::ClientTls> tls) {
  std::shared_ptr<Protocol> protocol = make_protocol(factory);
  auto handshake = loop.create_future<void>();
  std::shared_ptr<tls::SSLTransport> layer;
  if (tls) layer = tls->layer(loop, protocol, handshake.state());
  auto waiter = loop.create_future<void>();
  auto transport =
      StreamTransport::start(loop, std::move(sock), StreamKind::socket, layer ? layer : protocol, waiter);
  co_await connection_made(waiter, transport);
  if (!layer) co_return StreamConnection{transport, protocol};
  co_await connection_made(handshake, layer);
  co_return StreamConnection{layer, protocol};
}

Coroutine<StreamConnection> connect_tcp(AbstractEventLoop& loop, ProtocolFactory factory, std::string host,
                                        std::uint16_t port, ConnectionOptions options,
                                        std::optional<tls::ClientTls> tls) {
  // LOOP-CONN-GAI-OPTIONS: the socket type is always SOCK_STREAM.
  GetAddrInfoOptions lookup{options.family, SOCK_STREAM, options.proto, options.flags};
  auto remotes = co_await resolve(loop, host, port, lookup);
  std::vector<AddrInfo> locals;
  if (options.local_addr) {
    locals = co_await resolve(loop, options.local_addr->host, options.local_addr->port, lookup);
  }
  std::string what = "create_connection(" + host + ", " + std::to_string(port) + ")";
  Socket sock = co_await connect_to_first(loop, std::move(remotes), std::move(locals), what);
  co_return co_await start_stream(loop, std::move(sock), std::move(factory), std::move(tls));
}

Coroutine<StreamConnection> connect_unix(AbstractEventLoop& loop, ProtocolFactory factory,
                                         SocketAddress address, std::optional<tls::ClientTls> tls) {
  Socket sock = open_socket(AF_UNIX, SOCK_STREAM, 0);
  co_await loop.sock_connect(sock.fd(), address);
  co_return co_await start_stream(loop, std::move(sock), std::move(factory), std::move(tls));
}

}  // namespace

// Argument errors are thrown here; what happens on the network comes
// through the Future (decision D-TIER-3).

Future<StreamConnection> create_connection(AbstractEventLoop& loop, ProtocolFactory factory, std::string host,
                                           std::uint16_t port, ConnectionOptions options) {
  auto tls = tls::client_tls(options, host, "create_connection()");
  check_family(options.family, "create_connection()");
  bool address_given = !host.empty() || port != 0;
  if (options.sock) {
    // LOOP-CONN-SOCK
    Socket sock = take_caller_socket(options.sock, address_given, 0, "create_connection()");
    return loop.create_task(start_stream(loop, std::move(sock), std::move(factory), std::move(tls)));
  }
  if (!address_given) throw ValueError("create_connection(): host and port, or sock, are required");
  return loop.create_task(
      connect_tcp(loop, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

Future<StreamConnection> create_unix_connection(AbstractEventLoop& loop, ProtocolFactory factory,
                                                std::string path, ConnectionOptions options) {
  auto tls = tls::client_tls(options, "", "create_unix_connection()");
  if (options.local_addr) throw ValueError("create_unix_connection(): local_addr is for internet sockets");
  if (options.sock) {
    Socket sock = take_caller_socket(options.sock, !path.empty(), AF_UNIX, "create_unix_connection()");
    return loop.create_task(start_stream(loop, std::move(sock), std::move(factory), std::move(tls)));
  }
  if (path.empty()) throw ValueError("create_unix_connection(): path or sock is required");
  SocketAddress address = SocketAddress::unix_path(path);
  return loop.create_task(connect_unix(loop, std::move(factory), std::move(address), std::move(tls)));
}

}  // namespace pep3156::reference::net
