// create_datagram_endpoint(): resolve with Asio's udp::resolver, open an
// Asio datagram socket, bind and/or connect it, and start a
// DatagramTransport on it.
#include <netdb.h>
#include <sys/socket.h>

#include "asio_event_loop.hpp"
#include "datagram_transport.hpp"
#include "name_lookup.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/connection_made.hpp"
#include "reference/net/datagram_candidates.hpp"
#include "reference/net/failed_attempts.hpp"

namespace loopcert_asio {

namespace net = pep3156::reference::net;
using pep3156::AddrInfo;
using pep3156::Coroutine;
using pep3156::DatagramConnection;

namespace {

/// A socket made as `plan` says; std::system_error if a step fails.
DatagramSocket open_socket(AsioEventLoop& loop, const net::DatagramCandidate& plan) {
  DatagramSocket socket(loop.context());
  socket.open(asio::generic::datagram_protocol(plan.family, plan.protocol));
  if (plan.local) socket.bind({plan.local->data(), plan.local->size()});  // LOOP-DGRAM-LOCAL-ADDR
  // LOOP-DGRAM-REMOTE-ADDR. A datagram socket's connect() only records
  // the peer: it never blocks.
  if (plan.remote) socket.connect({plan.remote->data(), plan.remote->size()});
  return socket;
}

Coroutine<DatagramConnection> open_endpoint(AsioEventLoop& loop, pep3156::DatagramProtocolFactory factory,
                                            pep3156::DatagramOptions options) {
  // LOOP-DGRAM-GAI-OPTIONS: family, proto and flags reach the resolver,
  // whose type is SOCK_DGRAM.
  std::optional<std::vector<AddrInfo>> locals;
  std::optional<std::vector<AddrInfo>> remotes;
  if (options.local_addr) {
    // An empty host binds to every interface.
    int flags = options.local_addr->host.empty() ? options.flags | AI_PASSIVE : options.flags;
    locals = co_await resolve<asio::ip::udp>(loop, options.local_addr->host, options.local_addr->port,
                                             options.family, options.proto, flags);
  }
  if (options.remote_addr) {
    remotes = co_await resolve<asio::ip::udp>(loop, options.remote_addr->host, options.remote_addr->port,
                                              options.family, options.proto, options.flags);
  }
  std::vector<net::DatagramCandidate> tries =
      net::datagram_candidates(locals, remotes, options.family, options.proto);
  net::FailedAttempts failures;
  for (const net::DatagramCandidate& plan : tries) {
    std::optional<DatagramSocket> socket;
    try {
      socket.emplace(open_socket(loop, plan));
    } catch (const std::system_error&) {
      failures.add(plan.attempted_address(), std::current_exception());
      continue;
    }
    // LOOP-DGRAM-FACTORY-ONCE: once, when the socket is ready.
    co_return co_await net::start_protocol<DatagramConnection>(
        loop, std::move(factory), [&loop, &socket, &plan](auto protocol, auto waiter) {
          return DatagramTransport::start(loop, std::move(*socket), protocol, plan.remote, waiter);
        });
  }
  failures.raise("create_datagram_endpoint()");
}

}  // namespace

pep3156::Future<DatagramConnection> AsioEventLoop::create_datagram_endpoint(
    pep3156::DatagramProtocolFactory factory, pep3156::DatagramOptions options) {
  // Argument errors are thrown from the call (D-TIER-3).
  check_open("create_datagram_endpoint()");
  net::check_datagram_arguments(options);
  return create_task(open_endpoint(*this, std::move(factory), std::move(options)));
}

}  // namespace loopcert_asio
