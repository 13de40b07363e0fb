// create_server() and create_unix_server(): bind and listen, then accept
// with one evconnlistener per listening socket, and serve every accepted
// connection with a BuffereventTransport and a new protocol (with ssl=,
// the TLS layer between them).
#include <event2/listener.h>
#include <sys/socket.h>

#include "bufferevent_transport.hpp"
#include "libevent_event_loop.hpp"
#include "net_support.hpp"
#include "reference/net/listening_sockets.hpp"
#include "reference/net/server_connections.hpp"
#include "reference/net/unix_socket_file.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::libevent_adapter {

namespace {

constexpr double kAcceptRetryDelay = 0.1;  // seconds, after accept() failed (EMFILE)

struct ListenerFree {
  void operator()(evconnlistener* listener) const noexcept { evconnlistener_free(listener); }
};

/// The Server: listeners until close(), then a count of the connections
/// still open, for wait_closed() (D-SERVER-2).
class ListenerServer final : public Server,
                             public LoopResource,
                             public std::enable_shared_from_this<ListenerServer> {
  struct Private {};

 public:
  static std::shared_ptr<ListenerServer> start(LibeventEventLoop& loop, std::vector<Socket> listening,
                                               int backlog, reference::net::ServeConnection serve,
                                               Callback on_close) {
    auto server = std::make_shared<ListenerServer>(Private{}, loop, std::move(serve), std::move(on_close));
    for (Socket& socket : listening) {
      if (::listen(socket.fd(), backlog) != 0) throw_os_error(errno, "listen");
      SocketAddress address = socket.local_address();
      // Backlog 0: listening already. The accepted sockets come
      // non-blocking and close-on-exec.
      std::unique_ptr<evconnlistener, ListenerFree> listener(
          evconnlistener_new(loop.base(), &ListenerServer::on_accept, server.get(),
                             LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, socket.fd()));
      if (!listener) throw RuntimeError("libevent: evconnlistener_new() failed");
      socket.release();  // the listener closes it
      evconnlistener_set_error_cb(listener.get(), &ListenerServer::on_accept_error);
      server->listeners_.push_back({std::move(listener), std::move(address)});
    }
    loop.attach(server.get());
    server->self_ = server;  // serving: the loop's listeners hold the Server
    return server;
  }

  ListenerServer(Private, LibeventEventLoop& loop, reference::net::ServeConnection serve, Callback on_close)
      : loop_(loop), serve_(std::move(serve)), on_close_(std::move(on_close)) {}
  ~ListenerServer() override { release(); }

  void close() override {
    if (closed_) return;  // SERVER-CLOSE: idempotent
    closed_ = true;
    auto keep_alive = shared_from_this();
    retry_.cancel();
    release();  // closes the listening sockets; accepted connections go on
    if (on_close_) std::exchange(on_close_, {})();
    connections_.server_closed();
  }

  Future<void> wait_closed() override { return connections_.wait_closed(loop_.create_future<void>()); }

  std::vector<ListeningSocket> sockets() const override {
    std::vector<ListeningSocket> result;
    for (const Listener& listener : listeners_) {
      result.push_back({evconnlistener_get_fd(listener.listener.get()), listener.address});
    }
    return result;
  }

 private:
  struct Listener {
    std::unique_ptr<evconnlistener, ListenerFree> listener;
    SocketAddress address;
  };

  void release() noexcept override {
    if (listeners_.empty() && !self_) return;
    listeners_.clear();
    loop_.detach(this);
    auto last = std::move(self_);  // may destroy this on return
  }

  // libevent's callbacks: the serving (the protocol factory, user code)
  // waits for the ready queue.
  static void on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* server) {
    auto* self = static_cast<ListenerServer*>(server);
    self->loop_.call_soon([self = self->shared_from_this(), connection = Socket(fd)]() mutable {
      self->starved_ = false;
      self->connections_.serve(self->loop_, std::move(connection), self->serve_, self);
    });
  }

  static void on_accept_error(evconnlistener* listener, void* server) {
    // EMFILE and the like: libevent would report it again at once. Stop
    // accepting on that socket for a while, and say so once.
    auto* self = static_cast<ListenerServer*>(server);
    int error = EVUTIL_SOCKET_ERROR();
    evconnlistener_disable(listener);
    self->loop_.call_soon(
        [self = self->shared_from_this(), listener, error] { self->back_off(listener, error); });
  }

  void back_off(evconnlistener* listener, int error) {
    if (closed_) return;
    if (!starved_) {
      starved_ = true;
      report_error(loop_, "accept() failed; retrying every 100 ms", os_error(error, "accept"), nullptr,
                   nullptr, evconnlistener_get_fd(listener));
    }
    retry_ = loop_.call_later(kAcceptRetryDelay, [self = shared_from_this(), listener] {
      if (!self->closed_) evconnlistener_enable(listener);
    });
  }

  LibeventEventLoop& loop_;
  reference::net::ServeConnection serve_;
  Callback on_close_;
  std::vector<Listener> listeners_;
  std::shared_ptr<ListenerServer> self_;
  reference::net::ServerConnections connections_;  // for wait_closed()
  TimerHandle retry_;
  bool closed_ = false;
  bool starved_ = false;
};

/// Serves each accepted connection with a transport and a protocol from
/// `factory`; with `tls`, the TLS layer between them.
reference::net::ServeConnection stream_server(LibeventEventLoop& loop, ProtocolFactory factory,
                                              std::optional<reference::tls::ServerTls> tls) {
  return [&loop, factory = std::move(factory), tls = std::move(tls)](Socket connection, Callback on_lost) {
    std::shared_ptr<Protocol> protocol = make_protocol(factory);
    if (tls) protocol = tls->layer(loop, std::move(protocol));
    StreamTransport::start(loop, make_bufferevent(loop, std::move(connection)), StreamKind::socket,
                           std::move(protocol), {}, std::move(on_lost));
  };
}

/// A Server listening on sockets already bound (listen() may still fail,
/// through the Future).
Coroutine<std::shared_ptr<Server>> serve(LibeventEventLoop& loop, std::vector<Socket> listening, int backlog,
                                         ProtocolFactory factory,
                                         std::optional<reference::tls::ServerTls> tls,
                                         Callback on_close = {}) {
  co_return ListenerServer::start(loop, std::move(listening), backlog,
                                  stream_server(loop, std::move(factory), std::move(tls)),
                                  std::move(on_close));
}

Coroutine<std::shared_ptr<Server>> serve_tcp(LibeventEventLoop& loop, ProtocolFactory factory,
                                             std::string host, std::uint16_t port, ServerOptions options,
                                             std::optional<reference::tls::ServerTls> tls) {
  // LOOP-SERVER-GAI-OPTIONS: SOCK_STREAM, protocol 0.
  auto infos = co_await resolve(loop, host, port, {options.family, SOCK_STREAM, 0, options.flags});
  std::vector<Socket> listening = reference::net::bind_listeners(infos, options.reuse_address);
  co_return co_await serve(loop, std::move(listening), options.backlog, std::move(factory), std::move(tls));
}

Coroutine<std::shared_ptr<Server>> serve_unix(LibeventEventLoop& loop, ProtocolFactory factory,
                                              std::string path, ServerOptions options,
                                              std::optional<reference::tls::ServerTls> tls) {
  Socket sock = open_socket(AF_UNIX, SOCK_STREAM, 0);
  reference::net::remove_stale_socket_file(path);
  bind_to(sock.fd(), SocketAddress::unix_path(path));
  std::vector<Socket> listening;
  listening.push_back(std::move(sock));
  co_return co_await serve(loop, std::move(listening), options.backlog, std::move(factory), std::move(tls),
                           reference::net::socket_file_remover(path));
}

}  // namespace

// Argument errors are thrown here; what happens on the network comes
// through the Future (decision D-TIER-3).

Future<std::shared_ptr<Server>> LibeventEventLoop::create_server(ProtocolFactory factory, std::string host,
                                                                 std::uint16_t port, ServerOptions options) {
  check_open("create_server()");
  auto tls = reference::tls::server_tls(options, "create_server()");
  if (auto sock = reference::net::take_server_sock(host, port, options)) {
    std::vector<Socket> listening;
    listening.push_back(std::move(*sock));
    return create_task(
        serve(*this, std::move(listening), options.backlog, std::move(factory), std::move(tls)));
  }
  return create_task(
      serve_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

Future<std::shared_ptr<Server>> LibeventEventLoop::create_unix_server(ProtocolFactory factory,
                                                                      std::string path,
                                                                      ServerOptions options) {
  check_open("create_unix_server()");
  auto tls = reference::tls::server_tls(options, "create_unix_server()");
  if (auto sock = reference::net::take_unix_server_sock(path, options)) {
    std::vector<Socket> listening;
    listening.push_back(std::move(*sock));
    return create_task(
        serve(*this, std::move(listening), options.backlog, std::move(factory), std::move(tls)));
  }
  return create_task(
      serve_unix(*this, std::move(factory), std::move(path), std::move(options), std::move(tls)));
}

}  // namespace pep3156::libevent_adapter
