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

/// A TCP stream connected to the first of `remotes` that accepts.
Coroutine<UvStreamPtr> connect_to_first(UvEventLoop& loop, std::vector<AddrInfo> remotes,
                                        std::vector<AddrInfo> locals, std::string what) {
  FailedAttempts failures;
  for (const AddrInfo& remote : remotes) {
    try {
      UvStreamPtr stream = bound_tcp_handle(loop, remote.family, locals);
      co_await connect(loop, "connect(" + remote.address.to_string() + ")",
                       [&](uv_connect_t* request, uv_connect_cb cb) {
                         return uv_tcp_connect(request, &stream->tcp, remote.address.data(), cb);
                       });
      co_return stream;
    } catch (const std::system_error&) {
      failures.add(remote.address, std::current_exception());
    }
  }
  failures.raise(what);
}

Coroutine<StreamConnection> connect_tcp(UvEventLoop& loop, ProtocolFactory factory, std::string host,
                                        std::uint16_t port, ConnectionOptions options,
                                        std::optional<reference::tls::ClientTls> tls) {
  // LOOP-CONN-GAI-OPTIONS: the socket type is always SOCK_STREAM.
  GetAddrInfoOptions lookup{options.family, SOCK_STREAM, options.proto, options.flags};
  auto remotes = co_await resolve(loop, host, port, lookup);
  std::vector<AddrInfo> locals;
  if (options.local_addr)
    locals = co_await resolve(loop, options.local_addr->host, options.local_addr->port, lookup);
  std::string what = "create_connection(" + host + ", " + std::to_string(port) + ")";
  UvStreamPtr stream =
      co_await connect_to_first(loop, std::move(remotes), std::move(locals), std::move(what));
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
  check_family(options.family, "create_connection()");
  bool address_given = !host.empty() || port != 0;
  if (options.sock) {
    // LOOP-CONN-SOCK
    UvStreamPtr stream =
        stream_on(*this, take_caller_socket(options.sock, address_given, 0, "create_connection()"));
    return create_task(start_connection(*this, std::move(stream), std::move(factory), std::move(tls)));
  }
  if (!address_given) throw ValueError("create_connection(): host and port, or sock, are required");
  return create_task(
      connect_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

Future<StreamConnection> UvEventLoop::create_unix_connection(ProtocolFactory factory, std::string path,
                                                             ConnectionOptions options) {
  check_open("create_unix_connection()");
  auto tls = reference::tls::client_tls(options, "", "create_unix_connection()");
  if (options.local_addr) throw ValueError("create_unix_connection(): local_addr is for internet sockets");
  if (options.sock) {
    UvStreamPtr stream = stream_on(
        *this, take_caller_socket(options.sock, !path.empty(), AF_UNIX, "create_unix_connection()"));
    return create_task(start_connection(*this, std::move(stream), std::move(factory), std::move(tls)));
  }
  if (path.empty()) throw ValueError("create_unix_connection(): path or sock is required");
  SocketAddress::unix_path(path);  // ValueError if too long for a sockaddr_un
  return create_task(connect_unix(*this, std::move(factory), std::move(path), std::move(tls)));
}

}  // namespace loopcert_libuv
