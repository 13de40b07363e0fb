#include "connection_start.hpp"

#include "reference/net/client_stream.hpp"

namespace pep3156::libevent_adapter {

Coroutine<StreamConnection> start_stream(LibeventEventLoop& loop, BuffereventPtr bev, ProtocolFactory factory,
                                         std::optional<reference::tls::ClientTls> tls) {
  return reference::net::start_client_stream(
      loop, std::move(factory), std::move(tls),
      [&loop, bev = std::move(bev)](std::shared_ptr<Protocol> lower, Future<void> waiter) mutable {
        return StreamTransport::start(loop, std::move(bev), StreamKind::socket, std::move(lower), waiter);
      });
}

}  // namespace pep3156::libevent_adapter
