// create_connection() and create_unix_connection(): resolve with Asio's
// resolver, connect an Asio socket, then start a StreamTransport on it.
#include <sys/socket.h>

#include "asio_event_loop.hpp"
#include "failed_attempts.hpp"
#include "name_lookup.hpp"
#include "os_error.hpp"
#include "stream_sockets.hpp"

namespace loopcert_asio {

namespace tls = pep3156::reference::tls;
using pep3156::Coroutine;
using pep3156::StreamConnection;

namespace {

/// Binds `socket` to the first of `locals` of its family that works
/// (LOOP-CONN-LOCAL-ADDR).
void bind_local(StreamSocket& socket, int family, const std::vector<pep3156::AddrInfo>& locals) {
  asio::error_code error = asio::error::address_family_not_supported;
  for (const pep3156::AddrInfo& local : locals) {
    if (local.family != family) continue;
    socket.bind(stream_endpoint(local.address), error);
    if (!error) return;
  }
  throw os_error(error, "create_connection(): bind to local_addr");
}

/// A socket connected to the first of `remotes` that accepts.
Coroutine<StreamSocket> connect_to_first(AsioEventLoop& loop, std::vector<pep3156::AddrInfo> remotes,
                                         std::vector<pep3156::AddrInfo> locals, std::string what) {
  std::vector<std::exception_ptr> failures;
  for (const pep3156::AddrInfo& remote : remotes) {
    try {
      StreamSocket socket(loop.context());
      socket.open(asio::generic::stream_protocol(remote.family, remote.protocol));
      if (!locals.empty()) bind_local(socket, remote.family, locals);
      co_await connect(loop, socket, remote.address);
      co_return socket;
    } catch (const std::system_error&) {
      failures.push_back(std::current_exception());
    }
  }
  raise_failures(failures, what);
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
  check_family(options.family, "create_connection()");
  bool address_given = !host.empty() || port != 0;
  if (options.sock) {
    // LOOP-CONN-SOCK
    StreamSocket socket = take_caller_socket(*this, options.sock, address_given, 0, "create_connection()");
    return create_task(start_stream(*this, std::move(socket), std::move(factory), std::move(tls)));
  }
  if (!address_given) throw pep3156::ValueError("create_connection(): host and port, or sock, are required");
  return create_task(
      connect_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

pep3156::Future<StreamConnection> AsioEventLoop::create_unix_connection(pep3156::ProtocolFactory factory,
                                                                        std::string path,
                                                                        pep3156::ConnectionOptions options) {
  check_open("create_unix_connection()");
  auto tls = tls::client_tls(options, "", "create_unix_connection()");
  if (options.local_addr) {
    throw pep3156::ValueError("create_unix_connection(): local_addr is for internet sockets");
  }
  if (options.sock) {
    StreamSocket socket =
        take_caller_socket(*this, options.sock, !path.empty(), AF_UNIX, "create_unix_connection()");
    return create_task(start_stream(*this, std::move(socket), std::move(factory), std::move(tls)));
  }
  if (path.empty()) throw pep3156::ValueError("create_unix_connection(): path or sock is required");
  pep3156::SocketAddress address = pep3156::SocketAddress::unix_path(path);
  return create_task(connect_unix(*this, std::move(factory), std::move(address), std::move(tls)));
}

}  // namespace loopcert_asio
