// create_datagram_endpoint(): a UDP socket, bound and/or connected, with a
// DatagramSocketTransport and a new protocol on it.
#include <netdb.h>
#include <sys/socket.h>

#include "connection_setup.hpp"
#include "reference/net/datagram_transport.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {

/// One way to make the endpoint: a family, and what to bind and connect.
struct Candidate {
  int family;
  int protocol;
  std::optional<SocketAddress> local;
  std::optional<SocketAddress> remote;
};

/// Every pair of a local and a remote address of the same family
/// (LOOP-DGRAM-ADDR-COMBINATIONS); one side alone when the other is not
/// asked for; an unbound, unconnected socket of `family` when neither is.
std::vector<Candidate> candidates(const std::optional<std::vector<AddrInfo>>& locals,
                                  const std::optional<std::vector<AddrInfo>>& remotes, int family,
                                  int protocol) {
  std::vector<Candidate> result;
  if (locals && remotes) {
    for (const AddrInfo& local : *locals) {
      for (const AddrInfo& remote : *remotes) {
        if (local.family == remote.family) {
          result.push_back({local.family, local.protocol, local.address, remote.address});
        }
      }
    }
  } else if (locals) {
    for (const AddrInfo& local : *locals) result.push_back({local.family, local.protocol, local.address, {}});
  } else if (remotes) {
    for (const AddrInfo& remote : *remotes)
      result.push_back({remote.family, remote.protocol, {}, remote.address});
  } else {
    result.push_back({family, protocol, {}, {}});
  }
  return result;
}

Coroutine<DatagramConnection> open_endpoint(AbstractEventLoop& loop, DatagramProtocolFactory factory,
                                            DatagramOptions options) {
  // LOOP-DGRAM-GAI-OPTIONS: the socket type is always SOCK_DGRAM.
  GetAddrInfoOptions lookup{options.family, SOCK_DGRAM, options.proto, options.flags};
  std::optional<std::vector<AddrInfo>> locals;
  std::optional<std::vector<AddrInfo>> remotes;
  if (options.local_addr) {
    // An empty host binds to every interface.
    GetAddrInfoOptions passive = lookup;
    if (options.local_addr->host.empty()) passive.flags |= AI_PASSIVE;
    locals = co_await resolve(loop, options.local_addr->host, options.local_addr->port, passive);
  }
  if (options.remote_addr) {
    remotes = co_await resolve(loop, options.remote_addr->host, options.remote_addr->port, lookup);
  }
  std::vector<Candidate> tries = candidates(locals, remotes, options.family, options.proto);
  if (tries.empty())
    throw ValueError("create_datagram_endpoint(): local_addr and remote_addr share no family");

  FailedAttempts failures;
  Socket sock;
  std::optional<SocketAddress> remote;
  for (const Candidate& candidate : tries) {
    try {
      Socket attempt = open_socket(candidate.family, SOCK_DGRAM, candidate.protocol);
      if (candidate.local) bind_to(attempt.fd(), *candidate.local);  // LOOP-DGRAM-LOCAL-ADDR
      if (candidate.remote)
        co_await loop.sock_connect(attempt.fd(), *candidate.remote);  // LOOP-DGRAM-REMOTE-ADDR
      sock = std::move(attempt);
      remote = candidate.remote;
      break;
    } catch (const std::system_error&) {
      failures.add(candidate.remote ? *candidate.remote : candidate.local.value_or(SocketAddress()),
                   std::current_exception());
    }
  }
  if (!sock) failures.raise("create_datagram_endpoint()");

  // LOOP-DGRAM-FACTORY-ONCE: once, after the socket is ready.
  co_return co_await start_protocol<DatagramConnection>(
      loop, std::move(factory), [&loop, &sock, &remote](auto protocol, auto waiter) {
        return DatagramSocketTransport::start(loop, std::move(sock), protocol, remote, waiter);
      });
}

}  // namespace

Future<DatagramConnection> create_datagram_endpoint(AbstractEventLoop& loop, DatagramProtocolFactory factory,
                                                    DatagramOptions options) {
  // Argument errors are thrown here (decision D-TIER-3).
  check_family(options.family, "create_datagram_endpoint()");
  if (!options.local_addr && !options.remote_addr && options.family == 0) {
    throw ValueError("create_datagram_endpoint(): a family, local_addr or remote_addr is required");
  }
  return loop.create_task(open_endpoint(loop, std::move(factory), std::move(options)));
}

}  // namespace pep3156::reference::net
