// create_server() and create_unix_server(): bind and listen, then serve
// every accepted connection with a StreamTransport and a new protocol.
#include <sys/socket.h>

#include "connection_setup.hpp"
#include "reference/net/listening_sockets.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/socket_ops.hpp"
#include "reference/net/socket_server.hpp"
#include "reference/net/stream_transport.hpp"
#include "reference/net/unix_socket_file.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::reference::net {

namespace {

/// How a server's connections are accepted and given a transport.
struct Serving {
  StartStreamTransport start_transport;
  MakeAccepting make_accepting;
};

/// Serves each accepted connection with a StreamTransport and a protocol
/// from `factory`; with `tls`, the TLS layer between them.
ServeConnection stream_server(AbstractEventLoop& loop, ProtocolFactory factory,
                              std::optional<tls::ServerTls> tls, StartStreamTransport start_transport) {
  return [&loop, factory = std::move(factory), tls = std::move(tls),
          start_transport = std::move(start_transport)](Socket connection, Callback on_lost) {
    std::shared_ptr<Protocol> protocol = make_protocol(factory);
    if (tls) protocol = tls->layer(loop, std::move(protocol));
    start_transport(std::move(connection), std::move(protocol), {}, std::move(on_lost));
  };
}

/// A Server listening on sockets already bound (listen() may still fail).
Coroutine<std::shared_ptr<Server>> serve(AbstractEventLoop& loop, std::vector<Socket> listening, int backlog,
                                         ProtocolFactory factory, std::optional<tls::ServerTls> tls,
                                         Serving serving, Callback on_close = {}) {
  co_return SocketServer::start(
      loop, std::move(listening), backlog,
      stream_server(loop, std::move(factory), std::move(tls), std::move(serving.start_transport)),
      std::move(on_close), serving.make_accepting);
}

Coroutine<std::shared_ptr<Server>> serve_tcp(AbstractEventLoop& loop, ProtocolFactory factory,
                                             std::string host, std::uint16_t port, ServerOptions options,
                                             std::optional<tls::ServerTls> tls, Serving serving) {
  // LOOP-SERVER-GAI-OPTIONS: SOCK_STREAM, protocol 0.
  auto infos = co_await resolve(loop, host, port, {options.family, SOCK_STREAM, 0, options.flags});
  std::vector<Socket> listening = bind_listeners(infos, options.reuse_address);
  co_return co_await serve(loop, std::move(listening), options.backlog, std::move(factory), std::move(tls),
                           std::move(serving));
}

Coroutine<std::shared_ptr<Server>> serve_unix(AbstractEventLoop& loop, ProtocolFactory factory,
                                              std::string path, ServerOptions options,
                                              std::optional<tls::ServerTls> tls, Serving serving) {
  Socket sock = open_socket(AF_UNIX, SOCK_STREAM, 0);
  remove_stale_socket_file(path);
  bind_to(sock.fd(), SocketAddress::unix_path(path));
  std::vector<Socket> listening;
  listening.push_back(std::move(sock));
  co_return co_await serve(loop, std::move(listening), options.backlog, std::move(factory), std::move(tls),
                           std::move(serving), socket_file_remover(path));
}

}  // namespace

// Argument errors are thrown here; what happens on the network comes
// through the Future (decision D-TIER-3).

Future<std::shared_ptr<Server>> create_server(AbstractEventLoop& loop, ProtocolFactory factory,
                                              std::string host, std::uint16_t port, ServerOptions options,
                                              StartStreamTransport start_transport,
                                              MakeAccepting make_accepting) {
  auto tls = tls::server_tls(options, "create_server()");
  Serving serving{or_readiness_transport(loop, std::move(start_transport)), std::move(make_accepting)};
  if (auto sock = take_server_sock(host, port, options)) {
    std::vector<Socket> listening;
    listening.push_back(std::move(*sock));
    return loop.create_task(serve(loop, std::move(listening), options.backlog, std::move(factory),
                                  std::move(tls), std::move(serving)));
  }
  return loop.create_task(serve_tcp(loop, std::move(factory), std::move(host), port, std::move(options),
                                    std::move(tls), std::move(serving)));
}

Future<std::shared_ptr<Server>> create_unix_server(AbstractEventLoop& loop, ProtocolFactory factory,
                                                   std::string path, ServerOptions options,
                                                   StartStreamTransport start_transport,
                                                   MakeAccepting make_accepting) {
  auto tls = tls::server_tls(options, "create_unix_server()");
  Serving serving{or_readiness_transport(loop, std::move(start_transport)), std::move(make_accepting)};
  if (auto sock = take_unix_server_sock(path, options)) {
    std::vector<Socket> listening;
    listening.push_back(std::move(*sock));
    return loop.create_task(serve(loop, std::move(listening), options.backlog, std::move(factory),
                                  std::move(tls), std::move(serving)));
  }
  return loop.create_task(serve_unix(loop, std::move(factory), std::move(path), std::move(options),
                                     std::move(tls), std::move(serving)));
}

}  // namespace pep3156::reference::net
