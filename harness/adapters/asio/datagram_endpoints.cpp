// create_datagram_endpoint(): resolve with Asio's udp::resolver, open an
// Asio datagram socket, bind and/or connect it, and start a
// DatagramTransport on it.
#include <netdb.h>
#include <sys/socket.h>

#include "asio_event_loop.hpp"
#include "datagram_transport.hpp"
#include "failed_attempts.hpp"
#include "name_lookup.hpp"
#include "os_error.hpp"
#include "stream_sockets.hpp"

namespace loopcert_asio {

using pep3156::AddrInfo;
using pep3156::Coroutine;
using pep3156::DatagramConnection;

namespace {

/// A way to make the endpoint: the socket's family and protocol, and what
/// to bind it to and connect it to.
struct Plan {
  int family;
  int protocol;
  std::optional<pep3156::SocketAddress> local;
  std::optional<pep3156::SocketAddress> remote;
};

/// LOOP-DGRAM-ADDR-COMBINATIONS: with both local_addr and remote_addr,
/// each pair of one family; with one of them, each of its addresses; with
/// neither, a socket of `family`, neither bound nor connected.
std::vector<Plan> plans(const std::vector<AddrInfo>* locals, const std::vector<AddrInfo>* remotes, int family,
                        int protocol) {
  std::vector<Plan> result;
  if (!locals && !remotes) return {{family, protocol, std::nullopt, std::nullopt}};
  const std::vector<AddrInfo>& first = locals ? *locals : *remotes;
  for (const AddrInfo& info : first) {
    if (!locals || !remotes) {
      result.push_back({info.family, info.protocol, locals ? std::optional(info.address) : std::nullopt,
                        locals ? std::nullopt : std::optional(info.address)});
      continue;
    }
    for (const AddrInfo& remote : *remotes) {
      if (remote.family == info.family)
        result.push_back({info.family, info.protocol, info.address, remote.address});
    }
  }
  return result;
}

/// A socket made as `plan` says; std::system_error if a step fails.
DatagramSocket open_socket(AsioEventLoop& loop, const Plan& plan) {
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
  std::vector<Plan> tries =
      plans(locals ? &*locals : nullptr, remotes ? &*remotes : nullptr, options.family, options.proto);
  if (tries.empty()) {
    throw pep3156::ValueError("create_datagram_endpoint(): local_addr and remote_addr share no family");
  }
  std::vector<std::exception_ptr> failures;
  for (const Plan& plan : tries) {
    std::optional<DatagramSocket> socket;
    try {
      socket.emplace(open_socket(loop, plan));
    } catch (const std::system_error&) {
      failures.push_back(std::current_exception());
      continue;
    }
    // LOOP-DGRAM-FACTORY-ONCE: once, when the socket is ready.
    std::shared_ptr<pep3156::DatagramProtocol> protocol = factory();
    if (!protocol) throw pep3156::TypeError("the protocol factory returned no protocol");
    auto waiter = loop.create_future<void>();
    auto transport = DatagramTransport::start(loop, std::move(*socket), protocol, plan.remote, waiter);
    try {
      co_await waiter;
    } catch (...) {
      transport->close();
      throw;
    }
    co_return DatagramConnection{transport, protocol};
  }
  raise_failures(failures, "create_datagram_endpoint()");
}

}  // namespace

pep3156::Future<DatagramConnection> AsioEventLoop::create_datagram_endpoint(
    pep3156::DatagramProtocolFactory factory, pep3156::DatagramOptions options) {
  // Argument errors are thrown from the call (D-TIER-3).
  check_open("create_datagram_endpoint()");
  check_family(options.family, "create_datagram_endpoint()");
  if (!options.local_addr && !options.remote_addr && options.family == 0) {
    throw pep3156::ValueError("create_datagram_endpoint(): a family, local_addr or remote_addr is required");
  }
  return create_task(open_endpoint(*this, std::move(factory), std::move(options)));
}

}  // namespace loopcert_asio
