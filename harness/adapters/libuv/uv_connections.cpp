// create_connection() on uv_tcp_connect(), create_unix_connection() on
// uv_pipe_connect(); the caller's sock= through uv_tcp_open()/uv_pipe_open().
// With ssl=, the TLS layer (reference/tls) stacks on the libuv transport.
#include <sys/socket.h>

#include "reference/tls/tls_options.hpp"
#include "uv_connection_setup.hpp"

namespace loopcert_libuv {

namespace {

struct ConnectRequest {
  uv_connect_t request{};
  UvEventLoop* loop;
  Future<void> done;
  std::string what;
};

void connected(uv_connect_t* request, int status) {
  std::unique_ptr<ConnectRequest> connect(static_cast<ConnectRequest*>(request->data));
  // Cancelled (the handle was closed: UV_ECANCELED), or the loop is closing.
  if (connect->loop->is_closed() || connect->done.done()) return;
  if (status < 0) {
    connect->done.set_exception(
        std::make_exception_ptr(std::system_error(uv_error_code(status), connect->what)));
  } else {
    connect->done.set_result();
  }
  connect->loop->end_wait();
}

/// Runs `start(request, callback)` (uv_tcp_connect() or uv_pipe_connect())
/// and waits for its callback. Cancelling the wait leaves the request to
/// the caller's closing of the handle.
template <class Start>
Future<void> connect(UvEventLoop& loop, std::string what, Start start) {
  auto request = std::make_unique<ConnectRequest>();
  request->loop = &loop;
  request->done = loop.create_future<void>();
  request->what = std::move(what);
  request->request.data = request.get();
  Future<void> done = request->done;
  if (int status = start(&request->request, &connected); status < 0) throw_uv_error(status, request->what);
  request.release();  // connected() frees it
  return done;
}

/// A TCP handle of `family`, bound to the first of `locals` of that family
/// that works (LOOP-CONN-LOCAL-ADDR).
UvStreamPtr bound_tcp_handle(UvEventLoop& loop, int family, const std::vector<AddrInfo>& locals) {
  UvStreamPtr stream = tcp_handle(loop, family);
  if (locals.empty()) return stream;
  int status = UV_EADDRNOTAVAIL;
  for (const AddrInfo& local : locals) {
    if (local.family != family) continue;
    status = uv_tcp_bind(&stream->tcp, local.address.data(), 0);
    if (status == 0) return stream;
  }
  throw_uv_error(status, "create_connection(): bind to local_addr");
}

/// `stream`, once connected to `remote`.
Coroutine<UvStreamPtr> connect_stream(UvEventLoop& loop, UvStreamPtr stream, SocketAddress remote) {
  co_await connect(loop, "connect(" + remote.to_string() + ")", [&](uv_connect_t* request, uv_connect_cb cb) {
    return uv_tcp_connect(request, &stream->tcp, remote.data(), cb);
  });
  co_return stream;
}

/// A TCP stream connected to the first of `remotes` that accepts.
Coroutine<UvStreamPtr> connect_to_first(UvEventLoop& loop, std::vector<AddrInfo> remotes,
                                        std::vector<AddrInfo> locals, std::string what) {
  return reference::net::connect_to_first<UvStreamPtr>(
      std::move(remotes), std::move(what), [&loop, locals = std::move(locals)](const AddrInfo& remote) {
        return connect_stream(loop, bound_tcp_handle(loop, remote.family, locals), remote.address);
      });
}

Coroutine<StreamConnection> connect_tcp(UvEventLoop& loop, ProtocolFactory factory, std::string host,
                                        std::uint16_t port, ConnectionOptions options,
                                        std::optional<reference::tls::ClientTls> tls) {
  reference::net::ConnectionAddresses addresses =
      co_await reference::net::resolve_connection(loop, host, port, std::move(options));
  std::string what = "create_connection(" + host + ", " + std::to_string(port) + ")";
  UvStreamPtr stream = co_await connect_to_first(loop, std::move(addresses.remotes),
                                                 std::move(addresses.locals), std::move(what));
  co_return co_await start_connection(loop, std::move(stream), std::move(factory), std::move(tls));
}

Coroutine<StreamConnection> connect_unix(UvEventLoop& loop, ProtocolFactory factory, std::string path,
                                         std::optional<reference::tls::ClientTls> tls) {
  UvStreamPtr stream = pipe_handle(loop);
  co_await connect(loop, "connect(" + path + ")", [&](uv_connect_t* request, uv_connect_cb cb) {
    uv_pipe_connect(request, &stream->pipe, path.c_str(), cb);  // errors come through cb
    return 0;
  });
  co_return co_await start_connection(loop, std::move(stream), std::move(factory), std::move(tls));
}

}  // namespace

// Argument errors are thrown here; what happens on the network comes
// through the Future (D-TIER-3).

Future<StreamConnection> UvEventLoop::create_connection(ProtocolFactory factory, std::string host,
                                                        std::uint16_t port, ConnectionOptions options) {
  check_open("create_connection()");
  auto tls = reference::tls::client_tls(options, host, "create_connection()");
  if (auto sock = reference::net::take_connection_sock(host, port, options)) {
    UvStreamPtr stream = stream_on(*this, std::move(*sock));
    return create_task(start_connection(*this, std::move(stream), std::move(factory), std::move(tls)));
  }
  return create_task(
      connect_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

Future<StreamConnection> UvEventLoop::create_unix_connection(ProtocolFactory factory, std::string path,
                                                             ConnectionOptions options) {
  check_open("create_unix_connection()");
  auto tls = reference::tls::client_tls(options, "", "create_unix_connection()");
  if (auto sock = reference::net::take_unix_connection_sock(path, options)) {
    UvStreamPtr stream = stream_on(*this, std::move(*sock));
    return create_task(start_connection(*this, std::move(stream), std::move(factory), std::move(tls)));
  }
  return create_task(connect_unix(*this, std::move(factory), std::move(path), std::move(tls)));
}

}  // namespace loopcert_libuv
