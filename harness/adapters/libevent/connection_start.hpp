// The last step of every create_*() and connect_*_pipe(): make the
// protocol, start its transport on the bufferevent, and return the
// (transport, protocol) pair once connection_made() has returned
// (decision D-NET-1).
#pragma once

#include <optional>

#include "bufferevent_transport.hpp"
#include "reference/net/connection_made.hpp"
#include "reference/tls/tls_options.hpp"

namespace pep3156::libevent_adapter {

using reference::net::connection_made;

/// A connected stream socket's bufferevent with a transport and a new
/// protocol on it. With `tls`, the TLS layer is the stream transport's
/// protocol and the new protocol's transport, and the result comes after
/// the handshake.
Coroutine<StreamConnection> start_stream(LibeventEventLoop& loop, BuffereventPtr bev, ProtocolFactory factory,
                                         std::optional<reference::tls::ClientTls> tls);

}  // namespace pep3156::libevent_adapter
