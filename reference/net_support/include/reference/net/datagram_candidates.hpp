// create_datagram_endpoint()'s ways to make the endpoint, from what
// local_addr= and remote_addr= resolved to, tried in order until one works.
#pragma once

#include <optional>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// One way to make the endpoint: a socket of `family` and `protocol`,
/// bound to `local` and connected to `remote` where given.
struct DatagramCandidate {
  int family;
  int protocol;
  std::optional<SocketAddress> local;
  std::optional<SocketAddress> remote;

  /// The address a failed attempt is reported under: the remote one, else
  /// the local one.
  SocketAddress attempted_address() const;
};

/// Every pair of a local and a remote address of the same family
/// (LOOP-DGRAM-ADDR-COMBINATIONS); one side alone when the other is not
/// asked for (nullopt); an unbound, unconnected socket of `family` when
/// neither is. ValueError if local_addr and remote_addr share no family.
std::vector<DatagramCandidate> datagram_candidates(const std::optional<std::vector<AddrInfo>>& locals,
                                                   const std::optional<std::vector<AddrInfo>>& remotes,
                                                   int family, int protocol);

/// The candidates for `options`, with local_addr= and remote_addr= resolved
/// through loop.getaddrinfo() (LOOP-DGRAM-GAI-OPTIONS: SOCK_DGRAM; an empty
/// local host is every interface).
Coroutine<std::vector<DatagramCandidate>> datagram_candidates(AbstractEventLoop& loop,
                                                              DatagramOptions options);

/// A plain socket made as the first candidate that works says, and the
/// peer it is connected to.
struct OpenedDatagramSocket {
  Socket sock;
  std::optional<SocketAddress> remote;
};

/// Tries each candidate in order: a non-blocking socket, bound
/// (LOOP-DGRAM-LOCAL-ADDR) and connected (LOOP-DGRAM-REMOTE-ADDR; a
/// datagram socket's connect() only records the peer, it never blocks).
/// std::system_error naming every failure if none works.
OpenedDatagramSocket open_first_datagram_socket(const std::vector<DatagramCandidate>& candidates);

}  // namespace pep3156::reference::net
