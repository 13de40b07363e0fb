// create_server() and create_unix_server(): resolve with Asio's resolver,
// bind Asio acceptors, and serve them with a StreamServer.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <asio/ip/v6_only.hpp>

#include "asio_event_loop.hpp"
#include "name_lookup.hpp"
#include "os_error.hpp"
#include "stream_server.hpp"
#include "stream_sockets.hpp"

namespace loopcert_asio {

namespace tls = pep3156::reference::tls;
using pep3156::Coroutine;
using ServerPtr = std::shared_ptr<pep3156::Server>;

namespace {

/// One acceptor per distinct address, bound. A family the host cannot
/// open a socket for (no IPv6) is skipped; a failed bind() fails the whole.
std::vector<StreamAcceptor> bind_acceptors(AsioEventLoop& loop, const std::vector<pep3156::AddrInfo>& infos,
                                           bool reuse_address) {
  std::vector<StreamAcceptor> bound;
  std::vector<pep3156::SocketAddress> addresses;
  asio::error_code unsupported;
  for (const pep3156::AddrInfo& info : infos) {
    if (std::find(addresses.begin(), addresses.end(), info.address) != addresses.end()) continue;
    StreamAcceptor acceptor(loop.context());
    asio::error_code error;
    acceptor.open(asio::generic::stream_protocol(info.family, info.protocol), error);
    if (error) {
      unsupported = error;
      continue;
    }
    // LOOP-SERVER-REUSE-ADDRESS
    if (reuse_address) acceptor.set_option(asio::socket_base::reuse_address(true));
    // LOOP-SERVER-DUAL-STACK: one socket per family, so the IPv6 one must
    // not also claim the IPv4 port.
    if (info.family == AF_INET6) acceptor.set_option(asio::ip::v6_only(true));
    acceptor.bind(stream_endpoint(info.address));  // throws std::system_error
    bound.push_back(std::move(acceptor));
    addresses.push_back(info.address);
  }
  if (bound.empty()) throw os_error(unsupported, "create_server(): socket");
  return bound;
}

Coroutine<ServerPtr> serve_tcp(AsioEventLoop& loop, pep3156::ProtocolFactory factory, std::string host,
                               std::uint16_t port, pep3156::ServerOptions options,
                               std::optional<tls::ServerTls> tls) {
  // LOOP-SERVER-GAI-OPTIONS: family and flags (AI_PASSIVE by default).
  auto infos = co_await resolve<asio::ip::tcp>(loop, host, port, options.family, 0, options.flags);
  std::vector<StreamAcceptor> bound = bind_acceptors(loop, infos, options.reuse_address);
  co_return StreamServer::start(loop, std::move(bound), options.backlog, std::move(factory), std::move(tls));
}

/// A socket file left by a server that is gone (connect() refused) is
/// removed, as asyncio does; a live server's is left alone (bind() fails).
void remove_stale_socket_file(AsioEventLoop& loop, const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return;
  StreamSocket probe(loop.context());
  probe.open(asio::generic::stream_protocol(AF_UNIX, 0));
  asio::error_code error;
  probe.connect(stream_endpoint(pep3156::SocketAddress::unix_path(path)), error);
  if (error == asio::error::connection_refused) ::unlink(path.c_str());
}

/// The socket file a UNIX server bound, removed at close() unless another
/// file has taken its path since (compared by device and inode).
struct BoundSocketFile {
  std::string path;
  struct stat identity {};

  void remove_if_unchanged() const {
    struct stat current {};
    bool unchanged = ::lstat(path.c_str(), &current) == 0 && current.st_dev == identity.st_dev &&
                     current.st_ino == identity.st_ino;
    if (unchanged) ::unlink(path.c_str());
  }
};

std::function<void()> socket_file_remover(const std::string& path) {
  BoundSocketFile file{path};
  if (::lstat(path.c_str(), &file.identity) != 0) return {};
  return [file] { file.remove_if_unchanged(); };
}

Coroutine<ServerPtr> serve_unix(AsioEventLoop& loop, pep3156::ProtocolFactory factory, std::string path,
                                pep3156::ServerOptions options, std::optional<tls::ServerTls> tls) {
  StreamAcceptor acceptor(loop.context());
  acceptor.open(asio::generic::stream_protocol(AF_UNIX, 0));
  remove_stale_socket_file(loop, path);
  acceptor.bind(stream_endpoint(pep3156::SocketAddress::unix_path(path)));
  std::vector<StreamAcceptor> bound;
  bound.push_back(std::move(acceptor));
  co_return StreamServer::start(loop, std::move(bound), options.backlog, std::move(factory), std::move(tls),
                                socket_file_remover(path));
}

Coroutine<ServerPtr> serve_caller_socket(AsioEventLoop& loop, StreamSocket socket, int backlog,
                                         pep3156::ProtocolFactory factory,
                                         std::optional<tls::ServerTls> tls) {
  // The caller's socket, bound already, becomes an acceptor.
  StreamAcceptor acceptor(loop.context());
  asio::generic::stream_protocol protocol = socket.local_endpoint().protocol();
  acceptor.assign(protocol, socket.release());
  std::vector<StreamAcceptor> bound;
  bound.push_back(std::move(acceptor));
  co_return StreamServer::start(loop, std::move(bound), backlog, std::move(factory), std::move(tls));
}

}  // namespace

pep3156::Future<ServerPtr> AsioEventLoop::create_server(pep3156::ProtocolFactory factory, std::string host,
                                                        std::uint16_t port, pep3156::ServerOptions options) {
  check_open("create_server()");
  auto tls = tls::server_tls(options, "create_server()");
  check_family(options.family, "create_server()");
  if (options.sock) {
    // LOOP-SERVER-SOCK
    StreamSocket socket =
        take_caller_socket(*this, options.sock, !host.empty() || port != 0, 0, "create_server()");
    return create_task(
        serve_caller_socket(*this, std::move(socket), options.backlog, std::move(factory), std::move(tls)));
  }
  return create_task(
      serve_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

pep3156::Future<ServerPtr> AsioEventLoop::create_unix_server(pep3156::ProtocolFactory factory,
                                                             std::string path,
                                                             pep3156::ServerOptions options) {
  check_open("create_unix_server()");
  auto tls = tls::server_tls(options, "create_unix_server()");
  if (options.sock) {
    StreamSocket socket =
        take_caller_socket(*this, options.sock, !path.empty(), AF_UNIX, "create_unix_server()");
    return create_task(
        serve_caller_socket(*this, std::move(socket), options.backlog, std::move(factory), std::move(tls)));
  }
  if (path.empty()) throw pep3156::ValueError("create_unix_server(): path or sock is required");
  pep3156::SocketAddress::unix_path(path);  // ValueError if too long for a sockaddr_un
  return create_task(
      serve_unix(*this, std::move(factory), std::move(path), std::move(options), std::move(tls)));
}

}  // namespace loopcert_asio
