// What create_connection(), create_server(), create_datagram_endpoint()
// and the pipe and UNIX-domain methods share: resolving, trying every
// address, taking over a caller's socket, making the protocol and waiting
// for connection_made(), all from pep3156_net_support.
#pragma once

#include "pep3156/event_loop.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/connection_made.hpp"
#include "reference/net/failed_attempts.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/make_protocol.hpp"
#include "reference/net/resolve.hpp"
#include "reference/net/stream_transport.hpp"

namespace pep3156::reference::net {

/// `start`, or if it is empty the readiness StreamTransport on `loop`.
inline StartStreamTransport or_readiness_transport(AbstractEventLoop& loop, StartStreamTransport start) {
  if (start) return start;
  return [&loop](Socket sock, std::shared_ptr<Protocol> protocol, Future<void> waiter,
                 Callback on_lost) -> std::shared_ptr<Transport> {
    return StreamTransport::start(loop, std::move(sock), StreamKind::socket, std::move(protocol),
                                  std::move(waiter), std::move(on_lost));
  };
}

}  // namespace pep3156::reference::net
