// create_connection() and create_unix_connection(): connect with
// bufferevent_socket_connect(), then put a BuffereventTransport and a new
// protocol on that bufferevent; with ssl=, the TLS layer (pep3156_tls)
// between them.
#include <event2/bufferevent.h>
#include <sys/socket.h>

#include <cerrno>

#include "bufferevent_transport.hpp"
#include "connection_start.hpp"
#include "libevent_event_loop.hpp"
#include "net_support.hpp"
#include "reference/net/local_address.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::libevent_adapter {

namespace {

/// One connect() on a bufferevent, until libevent reports BEV_EVENT_CONNECTED
/// or BEV_EVENT_ERROR. The bufferevent owns the socket: destroying this
/// (the connection Task cancelled) closes it, and so does closing the loop.
class PendingConnect final : public LoopResource {
 public:
  PendingConnect(LibeventEventLoop& loop, Socket sock)
      : loop_(loop), bev_(make_bufferevent(loop, std::move(sock))), outcome_(loop.create_future<void>()) {
    loop_.attach(this);
  }
  ~PendingConnect() { release(); }
  PendingConnect(const PendingConnect&) = delete;
  PendingConnect& operator=(const PendingConnect&) = delete;

  Future<void> connect(const SocketAddress& address) {
    what_ = "connect(" + address.to_string() + ")";
    bufferevent_setcb(bev_.get(), nullptr, nullptr, &on_event, this);
    errno = 0;
    int started = bufferevent_socket_connect(bev_.get(), address.data(), static_cast<int>(address.size()));
    // A connect() refused at once (loopback does that) is reported later,
    // from a deferred callback where errno says nothing any more
    // (bufferevent_sock.c, bufferevent_socket_connect(): "The connect
    // failed already"): remember it now.
    refused_at_once_ = errno == ECONNREFUSED;
    if (started != 0) fail(errno);  // reported already if the callback ran
    return outcome_;
  }

  /// The connected bufferevent, for its transport.
  BuffereventPtr take() {
    if (!bev_) throw RuntimeError("create_connection(): the event loop was closed");
    bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
    loop_.detach(this);
    return std::move(bev_);
  }

  void release() noexcept override {
    if (!bev_) return;
    loop_.detach(this);
    bev_.reset();
  }

 private:
  static void on_event(bufferevent* bev, short what, void* attempt) {
    auto* self = static_cast<PendingConnect*>(attempt);
    if (what & BEV_EVENT_CONNECTED) {
      if (!self->outcome_.done()) self->outcome_.set_result();
      return;
    }
    int error = self->refused_at_once_ ? ECONNREFUSED : EVUTIL_SOCKET_ERROR();
    if (error == 0) {
      socklen_t length = sizeof error;
      ::getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_ERROR, &error, &length);
    }
    self->fail(error);
  }

  void fail(int error) {
    if (outcome_.done()) return;
    outcome_.set_exception(os_error(error != 0 ? error : ECONNREFUSED, what_));
  }

  LibeventEventLoop& loop_;
  BuffereventPtr bev_;
  Future<void> outcome_;
  std::string what_;
  bool refused_at_once_ = false;
};

Coroutine<BuffereventPtr> connect_socket(LibeventEventLoop& loop, Socket sock, SocketAddress address) {
  PendingConnect attempt(loop, std::move(sock));
  co_await attempt.connect(address);
  co_return attempt.take();
}

/// A bufferevent connected to the first of `remotes` that accepts.
Coroutine<BuffereventPtr> connect_to_first(LibeventEventLoop& loop, std::vector<AddrInfo> remotes,
                                           std::vector<AddrInfo> locals, std::string what) {
  return reference::net::connect_to_first<BuffereventPtr>(
      std::move(remotes), std::move(what), [&loop, locals = std::move(locals)](const AddrInfo& remote) {
        return connect_socket(loop, reference::net::connection_socket(remote, locals), remote.address);
      });
}

Coroutine<StreamConnection> connect_tcp(LibeventEventLoop& loop, ProtocolFactory factory, std::string host,
                                        std::uint16_t port, ConnectionOptions options,
                                        std::optional<reference::tls::ClientTls> tls) {
  reference::net::ConnectionAddresses addresses =
      co_await reference::net::resolve_connection(loop, host, port, std::move(options));
  std::string what = "create_connection(" + host + ", " + std::to_string(port) + ")";
  BuffereventPtr bev =
      co_await connect_to_first(loop, std::move(addresses.remotes), std::move(addresses.locals), what);
  co_return co_await start_stream(loop, std::move(bev), std::move(factory), std::move(tls));
}

Coroutine<StreamConnection> connect_unix(LibeventEventLoop& loop, ProtocolFactory factory,
                                         SocketAddress address,
                                         std::optional<reference::tls::ClientTls> tls) {
  BuffereventPtr bev = co_await connect_socket(loop, open_socket(AF_UNIX, SOCK_STREAM, 0), address);
  co_return co_await start_stream(loop, std::move(bev), std::move(factory), std::move(tls));
}

}  // namespace

// Argument errors are thrown here; what happens on the network comes
// through the Future (decision D-TIER-3).

Future<StreamConnection> LibeventEventLoop::create_connection(ProtocolFactory factory, std::string host,
                                                              std::uint16_t port, ConnectionOptions options) {
  check_open("create_connection()");
  auto tls = reference::tls::client_tls(options, host, "create_connection()");
  if (auto sock = reference::net::take_connection_sock(host, port, options)) {
    return create_task(
        start_stream(*this, make_bufferevent(*this, std::move(*sock)), std::move(factory), std::move(tls)));
  }
  return create_task(
      connect_tcp(*this, std::move(factory), std::move(host), port, std::move(options), std::move(tls)));
}

Future<StreamConnection> LibeventEventLoop::create_unix_connection(ProtocolFactory factory, std::string path,
                                                                   ConnectionOptions options) {
  check_open("create_unix_connection()");
  auto tls = reference::tls::client_tls(options, "", "create_unix_connection()");
  if (auto sock = reference::net::take_unix_connection_sock(path, options)) {
    return create_task(
        start_stream(*this, make_bufferevent(*this, std::move(*sock)), std::move(factory), std::move(tls)));
  }
  SocketAddress address = SocketAddress::unix_path(path);
  return create_task(connect_unix(*this, std::move(factory), std::move(address), std::move(tls)));
}

}  // namespace pep3156::libevent_adapter
