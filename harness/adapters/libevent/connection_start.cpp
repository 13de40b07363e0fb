#include "connection_start.hpp"

#include "net_support.hpp"

namespace pep3156::libevent_adapter {

Coroutine<StreamConnection> start_stream(LibeventEventLoop& loop, BuffereventPtr bev, ProtocolFactory factory,
                                         std::optional<reference::tls::ClientTls> tls) {
  std::shared_ptr<Protocol> protocol = make_protocol(factory);
  auto handshake = loop.create_future<void>();
  std::shared_ptr<reference::tls::SSLTransport> layer;
  if (tls) layer = tls->layer(loop, protocol, handshake.state());
  auto waiter = loop.create_future<void>();
  std::shared_ptr<BaseProtocol> lower_protocol = layer ? std::static_pointer_cast<BaseProtocol>(layer)
                                                       : std::static_pointer_cast<BaseProtocol>(protocol);
  auto transport = StreamTransport::start(loop, std::move(bev), StreamKind::socket, lower_protocol, waiter);
  co_await connection_made(waiter, transport);
  if (!layer) co_return StreamConnection{transport, protocol};
  co_await connection_made(handshake, layer);
  co_return StreamConnection{layer, protocol};
}

}  // namespace pep3156::libevent_adapter
