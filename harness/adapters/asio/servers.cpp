// create_server() and create_unix_server(): resolve with Asio's resolver,
// bind (pep3156_net_support for TCP, an Asio acceptor for a UNIX path), and
// serve Asio acceptors with a StreamServer.
#include <sys/socket.h>

#include "asio_event_loop.hpp"
#include "name_lookup.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/listening_sockets.hpp"
#include "reference/net/unix_socket_file.hpp"
#include "stream_server.hpp"
#include "stream_sockets.hpp"

namespace loopcert_asio {

namespace net = pep3156::reference::net;
namespace tls = pep3156::reference::tls;
using pep3156::Coroutine;
using ServerPtr = std::shared_ptr<pep3156::Server>;

namespace {

/// Acceptors on `listening` (sockets bound already).
std::vector<StreamAcceptor> acceptors(AsioEventLoop& loop, std::vector<pep3156::Socket> listening) {
  std::vector<StreamAcceptor> bound;
  for (pep3156::Socket& sock : listening) bound.push_back(adopt<StreamAcceptor>(loop, std::move(sock)));
  return bound;
}

Coroutine<ServerPtr> serve_tcp(AsioEventLoop& loop, pep3156::ProtocolFactory factory, std::string host,
                               std::uint16_t port, pep3156::ServerOptions options,
                               std::optional<tls::ServerTls> tls) {
  // LOOP-SERVER-GAI-OPTIONS: family and flags (AI_PASSIVE by default).
  auto infos = co_await resolve<asio::ip::tcp>(loop, host, port, options.family, 0, options.flags);
  // The sockets bound by pep3156_net_support (LOOP-SERVER-REUSE-ADDRESS,
  // LOOP-SERVER-DUAL-STACK), Asio listens on them.
  std::vector<StreamAcceptor> bound = acceptors(loop, net::bind_listeners(infos, options.reuse_address));
  co_return StreamServer::start(loop, std::move(bound), options.backlog, std::move(factory), std::move(tls));
}

Coroutine<ServerPtr> serve_unix(AsioEventLoop& loop, pep3156::ProtocolFactory factory, std::string path,
                                pep3156::ServerOptions options, std::optional<tls::ServerTls> tls) {
  StreamAcceptor acceptor(loop.context());
  acceptor.open(asio::generic::stream_protocol(AF_UNIX, 0));
  net::remove_stale_socket_file(path);
  acceptor.bind(stream_endpoint(pep3156::SocketAddress::unix_path(path)));
  std::vector<StreamAcceptor> bound;
  bound.push_back(std::move(acceptor));
  co_return StreamServer::start(loop, std::move(bound), options.backlog, std::move(factory), std::move(tls),
                                net::socket_file_remover(path));
}

Coroutine<ServerPtr> serve_caller_socket(AsioEventLoop& loop, pep3156::Socket sock, int backlog,
                                         pep3156::ProtocolFactory factory,
                                         std::optional<tls::ServerTls> tls) {
  std::vector<pep3156::Socket> listening;
  listening.push_back(std::move(sock));
  co_return StreamServer::start(loop, acceptors(loop, std::move(listening)), backlog, std::move(factory),
                                std::move(tls));
}

}  // namespace

pep3156::Future<ServerPtr> AsioEventLoop::create_server(pep3156::ProtocolFactory factory, std::string host,
                                                        std::uint16_t port, pep3156::ServerOptions options) {
  check_open("create_server()");
  auto tls = tls::server_tls(options, "create_server()");
  if (auto sock = net::take_server_sock(host, port, options)) {
    return create_task(
        serve_caller_socket(*this, std::move(*sock), options.backlog, std::move(factory), std::move(tls)));
  }
  return create_task(
      serve_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

pep3156::Future<ServerPtr> AsioEventLoop::create_unix_server(pep3156::ProtocolFactory factory,
                                                             std::string path,
                                                             pep3156::ServerOptions options) {
  check_open("create_unix_server()");
  auto tls = tls::server_tls(options, "create_unix_server()");
  if (auto sock = net::take_unix_server_sock(path, options)) {
    return create_task(
        serve_caller_socket(*this, std::move(*sock), options.backlog, std::move(factory), std::move(tls)));
  }
  return create_task(
      serve_unix(*this, std::move(factory), std::move(path), std::move(options), std::move(tls)));
}

}  // namespace loopcert_asio
