#include "stream_sockets.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include "os_error.hpp"

namespace loopcert_asio {

namespace {
int socket_option(int fd, int name) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, name, &value, &length) != 0) return -1;
  return value;
}

/// Waits for connection_made() (D-NET-1); if that fails or the wait is
/// cancelled, the transport is closed and the error goes on.
pep3156::Coroutine<void> connection_made(pep3156::Future<void> waiter,
                                         std::shared_ptr<pep3156::BaseTransport> transport) {
  try {
    co_await waiter;
  } catch (...) {
    transport->close();
    throw;
  }
}
}  // namespace

asio::generic::stream_protocol::endpoint stream_endpoint(const pep3156::SocketAddress& address) {
  int protocol = address.family() == AF_UNIX ? 0 : IPPROTO_TCP;
  return {address.data(), address.size(), protocol};
}

StreamSocket take_caller_socket(AsioEventLoop& loop, std::optional<pep3156::Socket>& sock, bool address_given,
                                int family, const char* method) {
  pep3156::Socket taken = std::move(*sock);
  sock.reset();
  if (address_given) throw pep3156::ValueError(std::string(method) + ": the address must be empty with sock");
  int domain = socket_option(taken.fd(), SO_DOMAIN);
  if (socket_option(taken.fd(), SO_TYPE) != SOCK_STREAM || (family != 0 && domain != family)) {
    throw pep3156::ValueError(std::string(method) + ": sock must be a stream socket" +
                              (family == AF_UNIX ? " of the UNIX domain" : ""));
  }
  StreamSocket socket(loop.context());
  asio::generic::stream_protocol protocol(domain, socket_option(taken.fd(), SO_PROTOCOL));
  socket.assign(protocol, taken.fd());  // throws std::system_error, and then `taken` still owns fd
  taken.release();
  return socket;
}

void check_family(int family, const char* method) {
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    throw pep3156::ValueError(std::string(method) + ": family must be AF_UNSPEC, AF_INET or AF_INET6");
  }
}

pep3156::Future<void> connect(AsioEventLoop& loop, StreamSocket& socket,
                              const pep3156::SocketAddress& address) {
  auto connected = loop.create_future<void>();
  // A connect whose Future was cancelled finds it done: the caller closes
  // the socket, which aborts the connect.
  socket.async_connect(stream_endpoint(address), [connected, address](const asio::error_code& error) {
    if (connected.done()) return;
    if (error) {
      connected.set_exception(std::make_exception_ptr(os_error(error, "connect to " + address.to_string())));
    } else {
      connected.set_result();
    }
  });
  return connected;
}

pep3156::Coroutine<pep3156::StreamConnection> start_stream(
    AsioEventLoop& loop, StreamSocket socket, pep3156::ProtocolFactory factory,
    std::optional<pep3156::reference::tls::ClientTls> tls) {
  std::shared_ptr<pep3156::Protocol> protocol = factory();
  if (!protocol) throw pep3156::TypeError("the protocol factory returned no protocol");
  auto handshake = loop.create_future<void>();
  std::shared_ptr<pep3156::reference::tls::SSLTransport> layer;
  if (tls) layer = tls->layer(loop, protocol, handshake.state());
  auto waiter = loop.create_future<void>();
  std::shared_ptr<pep3156::Protocol> stream_protocol =
      layer ? std::shared_ptr<pep3156::Protocol>(layer) : protocol;
  auto transport = StreamTransport::start(loop, std::move(socket), stream_protocol, waiter);
  co_await connection_made(waiter, transport);
  if (!layer) co_return pep3156::StreamConnection{transport, protocol};
  co_await connection_made(handshake, layer);
  co_return pep3156::StreamConnection{layer, protocol};
}

}  // namespace loopcert_asio
