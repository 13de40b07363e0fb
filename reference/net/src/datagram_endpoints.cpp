// create_datagram_endpoint(): a UDP socket, bound and/or connected, with a
// DatagramSocketTransport and a new protocol on it.
#include <sys/socket.h>

#include "connection_setup.hpp"
#include "reference/net/datagram_candidates.hpp"
#include "reference/net/datagram_transport.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {

Coroutine<DatagramConnection> open_endpoint(AbstractEventLoop& loop, DatagramProtocolFactory factory,
                                            DatagramOptions options) {
  std::vector<DatagramCandidate> tries = co_await datagram_candidates(loop, std::move(options));
  OpenedDatagramSocket opened = open_first_datagram_socket(tries);
  // LOOP-DGRAM-FACTORY-ONCE: once, after the socket is ready.
  co_return co_await start_protocol<DatagramConnection>(
      loop, std::move(factory), [&loop, &opened](auto protocol, auto waiter) {
        return DatagramSocketTransport::start(loop, std::move(opened.sock), protocol, opened.remote, waiter);
      });
}

}  // namespace

Future<DatagramConnection> create_datagram_endpoint(AbstractEventLoop& loop, DatagramProtocolFactory factory,
                                                    DatagramOptions options) {
  // Argument errors are thrown here (decision D-TIER-3).
  check_datagram_arguments(options);
  return loop.create_task(open_endpoint(loop, std::move(factory), std::move(options)));
}

}  // namespace pep3156::reference::net
