// create_server() and create_unix_server(): libuv listens (uv_listen())
// and accepts (uv_accept()) on uv_tcp_t / uv_pipe_t handles; each
// connection gets a libuv stream transport and a new protocol, with the
// TLS layer between them when ssl= is given.
//
// The TCP listening sockets are made and bound by pep3156_net_support's
// bind_listeners(), then handed to libuv with uv_tcp_open(): uv_tcp_bind() always sets SO_REUSEADDR
// (uv__tcp_bind(), src/unix/tcp.c), and reuse_address=false must not.
#include <netinet/in.h>
#include <sys/socket.h>

#include "reference/net/listening_sockets.hpp"
#include "reference/net/server_connections.hpp"
#include "reference/net/unix_socket_file.hpp"
#include "uv_connection_setup.hpp"

namespace loopcert_libuv {

namespace {

class UvServer;

/// One listening handle; it holds its Server while open.
class Listener final : public UvHandleOwner {
 public:
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  };
  std::shared_ptr<UvServer> server;
  bool is_pipe = false;

  Listener() { handle.data = static_cast<UvHandleOwner*>(this); }
  ~Listener() override;
  static Listener& of(uv_stream_t* stream) {
    return *static_cast<Listener*>(static_cast<UvHandleOwner*>(stream->data));
  }
};

class UvServer final : public Server, public std::enable_shared_from_this<UvServer> {
 public:
  UvServer(UvEventLoop& loop, ProtocolFactory factory, std::optional<reference::tls::ServerTls> tls,
           Callback on_close)
      : loop_(loop), factory_(std::move(factory)), tls_(std::move(tls)), on_close_(std::move(on_close)) {}

  /// Takes `listener` (initialised and bound) and listens on it.
  void listen(std::unique_ptr<Listener> listener, int backlog) {
    listener->server = shared_from_this();
    Listener* raw = listener.release();  // freed by its close callback
    listeners_.push_back(raw);
    if (int status = uv_listen(&raw->stream, backlog, &UvServer::incoming); status < 0) {
      close();
      throw_uv_error(status, "listen");
    }
  }

  /// SERVER-CLOSE: stops accepting; the connections go on. Idempotent.
  void close() override {
    if (closed_) return;
    closed_ = true;
    for (Listener* listener : std::exchange(listeners_, {})) UvHandleOwner::close_handle(&listener->handle);
    if (on_close_) std::exchange(on_close_, {})();
    connections_.server_closed();
  }

  /// SERVER-WAIT-CLOSED, D-SERVER-2.
  Future<void> wait_closed() override { return connections_.wait_closed(loop_.create_future<void>()); }

  /// A listener libuv freed: the loop closed under the server.
  void forget(Listener* listener) noexcept { std::erase(listeners_, listener); }

  std::vector<ListeningSocket> sockets() const override {
    std::vector<ListeningSocket> result;
    for (const Listener* listener : listeners_) {
      uv_os_fd_t fd = -1;
      uv_fileno(&listener->handle, &fd);
      sockaddr_storage storage{};
      socklen_t length = sizeof storage;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
      result.push_back({fd, SocketAddress(reinterpret_cast<sockaddr*>(&storage), length)});
    }
    return result;
  }

 private:
  /// libuv's connection callback: accept now (no user code), serve from
  /// the ready queue.
  static void incoming(uv_stream_t* listening, int status) {
    Listener& listener = Listener::of(listening);
    UvServer& self = *listener.server;
    if (status < 0) {
      auto error = std::make_exception_ptr(std::system_error(uv_error_code(status), "accept"));
      self.loop_.post([&loop = self.loop_, error] { loop.report("accept() failed", error); });
      return;
    }
    try {
      UvStreamPtr connection = listener.is_pipe ? pipe_handle(self.loop_) : tcp_handle(self.loop_);
      if (int accepted = uv_accept(listening, &connection->stream); accepted < 0)
        throw_uv_error(accepted, "accept");
      self.connections_.opened();
      self.loop_.post([self = self.shared_from_this(), stream = std::move(connection)]() mutable {
        self->serve(std::move(stream));
      });
    } catch (const std::exception&) {
      self.loop_.post(
          [&loop = self.loop_, error = std::current_exception()] { loop.report("accept() failed", error); });
    }
  }

  /// LOOP-SERVER-PER-CONNECTION: a new protocol and transport.
  void serve(UvStreamPtr stream) {
    try {
      std::shared_ptr<Protocol> protocol = make_protocol(factory_);
      if (tls_) protocol = tls_->layer(loop_, std::move(protocol));
      start_stream_transport(loop_, std::move(stream), StreamKind::socket, std::move(protocol), {},
                             [self = shared_from_this()] { self->connections_.gone(); });
    } catch (const std::exception&) {
      loop_.report("accepting a connection failed", std::current_exception());
      connections_.gone();
    }
  }

  UvEventLoop& loop_;
  ProtocolFactory factory_;
  std::optional<reference::tls::ServerTls> tls_;
  Callback on_close_;
  std::vector<Listener*> listeners_;               // open while here
  reference::net::ServerConnections connections_;  // for wait_closed()
  bool closed_ = false;
};

Listener::~Listener() {
  if (server) server->forget(this);
}

/// A listener on a bound socket (TCP or UNIX), in a libuv handle.
std::unique_ptr<Listener> listener_on(UvEventLoop& loop, Socket sock) {
  auto listener = std::make_unique<Listener>();
  listener->is_pipe = is_unix_socket(sock.fd());
  int status = listener->is_pipe ? uv_pipe_init(loop.uv(), &listener->pipe, 0)
                                 : uv_tcp_init(loop.uv(), &listener->tcp);
  if (status < 0) throw_uv_error(status, "uv_tcp_init()/uv_pipe_init()");
  status =
      listener->is_pipe ? uv_pipe_open(&listener->pipe, sock.fd()) : uv_tcp_open(&listener->tcp, sock.fd());
  if (status < 0) {
    UvHandleOwner::close_handle(&listener.release()->handle);
    throw_uv_error(status, "uv_tcp_open()/uv_pipe_open()");
  }
  sock.release();  // the handle's now
  return listener;
}

Coroutine<std::shared_ptr<Server>> serve_tcp(UvEventLoop& loop, std::shared_ptr<UvServer> server,
                                             std::string host, std::uint16_t port, ServerOptions options) {
  // LOOP-SERVER-GAI-OPTIONS: SOCK_STREAM, protocol 0.
  auto infos = co_await resolve(loop, host, port, {options.family, SOCK_STREAM, 0, options.flags});
  std::vector<Socket> bound = reference::net::bind_listeners(infos, options.reuse_address);
  for (Socket& sock : bound) server->listen(listener_on(loop, std::move(sock)), options.backlog);
  co_return server;
}

/// uv_pipe_bind() makes the socket and binds it to `path`.
Coroutine<std::shared_ptr<Server>> serve_unix(UvEventLoop& loop, ProtocolFactory factory, std::string path,
                                              int backlog, std::optional<reference::tls::ServerTls> tls) {
  reference::net::remove_stale_socket_file(path);
  auto listener = std::make_unique<Listener>();
  listener->is_pipe = true;
  if (int status = uv_pipe_init(loop.uv(), &listener->pipe, 0); status < 0)
    throw_uv_error(status, "uv_pipe_init()");
  if (int status = uv_pipe_bind(&listener->pipe, path.c_str()); status < 0) {
    UvHandleOwner::close_handle(&listener.release()->handle);
    throw_uv_error(status, "bind(" + path + ")");
  }
  auto server = std::make_shared<UvServer>(loop, std::move(factory), std::move(tls),
                                           reference::net::socket_file_remover(path));
  server->listen(std::move(listener), backlog);
  co_return server;
}

/// A server already listening, as create_server()'s Future.
Coroutine<std::shared_ptr<Server>> ready(std::shared_ptr<Server> server) { co_return server; }

}  // namespace

Future<std::shared_ptr<Server>> UvEventLoop::create_server(ProtocolFactory factory, std::string host,
                                                           std::uint16_t port, ServerOptions options) {
  check_open("create_server()");
  auto tls = reference::tls::server_tls(options, "create_server()");
  std::optional<Socket> sock = reference::net::take_server_sock(host, port, options);
  auto server = std::make_shared<UvServer>(*this, std::move(factory), std::move(tls), Callback{});
  if (sock) {
    server->listen(listener_on(*this, std::move(*sock)), options.backlog);
    return create_task(ready(std::shared_ptr<Server>(std::move(server))));
  }
  return create_task(serve_tcp(*this, std::move(server), std::move(host), port, std::move(options)));
}

Future<std::shared_ptr<Server>> UvEventLoop::create_unix_server(ProtocolFactory factory, std::string path,
                                                                ServerOptions options) {
  check_open("create_unix_server()");
  auto tls = reference::tls::server_tls(options, "create_unix_server()");
  if (auto sock = reference::net::take_unix_server_sock(path, options)) {
    auto server = std::make_shared<UvServer>(*this, std::move(factory), std::move(tls), Callback{});
    server->listen(listener_on(*this, std::move(*sock)), options.backlog);
    return create_task(ready(std::shared_ptr<Server>(std::move(server))));
  }
  return create_task(serve_unix(*this, std::move(factory), std::move(path), options.backlog, std::move(tls)));
}

}  // namespace loopcert_libuv
