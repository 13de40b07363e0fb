// The last step of create_connection() and create_unix_connection(): a new
// protocol on the connected stream's transport, with the TLS layer between
// them when ssl= asks. Header-only, for callers that link pep3156_tls.
#pragma once

#include <memory>
#include <optional>

#include "reference/net/connection_made.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::reference::net {

/// Makes the protocol, starts the stream's transport with
/// `start(lower, waiter)` (`lower`: the protocol, or with `tls` the TLS
/// layer in front of it) and returns the pair once connection_made() has
/// returned: with TLS, after the handshake (decision D-NET-1).
template <class Start>
Coroutine<StreamConnection> start_client_stream(AbstractEventLoop& loop, ProtocolFactory factory,
                                                std::optional<tls::ClientTls> tls, Start start) {
  std::shared_ptr<Protocol> protocol = make_protocol(factory);
  auto handshake = loop.create_future<void>();
  std::shared_ptr<tls::SSLTransport> layer;
  if (tls) layer = tls->layer(loop, protocol, handshake.state());
  auto waiter = loop.create_future<void>();
  std::shared_ptr<Protocol> lower = layer ? std::shared_ptr<Protocol>(layer) : protocol;
  auto transport = start(std::move(lower), waiter);
  co_await connection_made(waiter, transport);
  if (!layer) co_return StreamConnection{transport, protocol};
  co_await connection_made(handshake, layer);
  co_return StreamConnection{layer, protocol};
}

}  // namespace pep3156::reference::net
