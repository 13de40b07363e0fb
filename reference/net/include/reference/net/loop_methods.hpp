// The networking methods of the reference loop (PEP 3156, "Internet
// connections", the UNIX-domain extension and "Pipes"), written against
// the public loop interface: SelectorEventLoop forwards each of its
// overrides here with *this as `loop`.
//
// Each returns a Future on `loop` (a Task running the steps); every error,
// argument errors included, arrives through it. Where a protocol is made,
// the result comes after its connection_made() has returned (decision
// D-NET-1). The wrapped socket methods are in sock_methods.hpp and the
// name lookups in name_lookup.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// A TCP connection to the first address of host:port that accepts, or
/// over `options.sock`. std::system_error naming every address tried if
/// none does (LOOP-CONN-*).
Future<StreamConnection> create_connection(AbstractEventLoop& loop, ProtocolFactory factory, std::string host,
                                           std::uint16_t port, ConnectionOptions options);

/// Listens on every address of host:port (IPv4 and IPv6 for an empty host
/// where the host has both; the IPv6 socket is IPV6_V6ONLY), or on
/// `options.sock`. Each socket bound to port 0 gets a port of its own:
/// Server::sockets() tells which (LOOP-SERVER-*).
Future<std::shared_ptr<Server>> create_server(AbstractEventLoop& loop, ProtocolFactory factory,
                                              std::string host, std::uint16_t port, ServerOptions options);

/// A UDP endpoint: every pair of a local and a remote address of the same
/// family is tried in turn (LOOP-DGRAM-ADDR-COMBINATIONS).
Future<DatagramConnection> create_datagram_endpoint(AbstractEventLoop& loop, DatagramProtocolFactory factory,
                                                    DatagramOptions options);

}  // namespace pep3156::reference::net
