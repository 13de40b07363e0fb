#include "reference/net/datagram_candidates.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include "pep3156/errors.hpp"
#include "reference/net/failed_attempts.hpp"
#include "reference/net/resolve.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

SocketAddress DatagramCandidate::attempted_address() const {
  return remote ? *remote : local.value_or(SocketAddress());
}

std::vector<DatagramCandidate> datagram_candidates(const std::optional<std::vector<AddrInfo>>& locals,
                                                   const std::optional<std::vector<AddrInfo>>& remotes,
                                                   int family, int protocol) {
  std::vector<DatagramCandidate> result;
  if (locals && remotes) {
    for (const AddrInfo& local : *locals) {
      for (const AddrInfo& remote : *remotes) {
        if (local.family == remote.family) {
          result.push_back({local.family, local.protocol, local.address, remote.address});
        }
      }
    }
    if (result.empty())
      throw ValueError("create_datagram_endpoint(): local_addr and remote_addr share no family");
  } else if (locals) {
    for (const AddrInfo& local : *locals) result.push_back({local.family, local.protocol, local.address, {}});
  } else if (remotes) {
    for (const AddrInfo& remote : *remotes) {
      result.push_back({remote.family, remote.protocol, {}, remote.address});
    }
  } else {
    result.push_back({family, protocol, {}, {}});
  }
  return result;
}

Coroutine<std::vector<DatagramCandidate>> datagram_candidates(AbstractEventLoop& loop,
                                                              DatagramOptions options) {
  GetAddrInfoOptions lookup{options.family, SOCK_DGRAM, options.proto, options.flags};
  std::optional<std::vector<AddrInfo>> locals;
  std::optional<std::vector<AddrInfo>> remotes;
  if (options.local_addr) {
    GetAddrInfoOptions passive = lookup;
    if (options.local_addr->host.empty()) passive.flags |= AI_PASSIVE;
    locals = co_await resolve(loop, options.local_addr->host, options.local_addr->port, passive);
  }
  if (options.remote_addr) {
    remotes = co_await resolve(loop, options.remote_addr->host, options.remote_addr->port, lookup);
  }
  co_return datagram_candidates(locals, remotes, options.family, options.proto);
}

OpenedDatagramSocket open_first_datagram_socket(const std::vector<DatagramCandidate>& candidates) {
  FailedAttempts failures;
  for (const DatagramCandidate& candidate : candidates) {
    try {
      Socket sock = open_socket(candidate.family, SOCK_DGRAM, candidate.protocol);
      if (candidate.local) bind_to(sock.fd(), *candidate.local);
      if (candidate.remote && ::connect(sock.fd(), candidate.remote->data(), candidate.remote->size()) != 0) {
        throw_errno(("connect(" + candidate.remote->to_string() + ")").c_str());
      }
      return {std::move(sock), candidate.remote};
    } catch (const std::system_error&) {
      failures.add(candidate.attempted_address(), std::current_exception());
    }
  }
  failures.raise("create_datagram_endpoint()");
}

}  // namespace pep3156::reference::net
