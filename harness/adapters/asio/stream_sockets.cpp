#include "stream_sockets.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include "os_error.hpp"
#include "reference/net/client_stream.hpp"

namespace loopcert_asio {

asio::generic::stream_protocol::endpoint stream_endpoint(const pep3156::SocketAddress& address) {
  int protocol = address.family() == AF_UNIX ? 0 : IPPROTO_TCP;
  return {address.data(), address.size(), protocol};
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
  return pep3156::reference::net::start_client_stream(
      loop, std::move(factory), std::move(tls),
      [&loop, socket = std::move(socket)](std::shared_ptr<pep3156::Protocol> lower,
                                          pep3156::Future<void> waiter) mutable {
        return StreamTransport::start(loop, std::move(socket), std::move(lower), waiter);
      });
}

}  // namespace loopcert_asio
