// The networking methods of the reference loop (PEP 3156, "Internet
// connections", the UNIX-domain extension and "Pipes"), written against
// the public loop interface: SelectorEventLoop forwards each of its
// overrides here with *this as `loop`.
//
// Each returns a Future on `loop` (a Task running the steps). Argument
// errors (ValueError, TypeError, NotImplementedError, RuntimeError for a
// closed loop) are thrown by the call; what fails on the network comes
// through the Future (decision D-TIER-3). Where a protocol is made,
// the result comes after its connection_made() has returned (decision
// D-NET-1). The wrapped socket methods are in sock_methods.hpp and the
// name lookups in name_lookup.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "pep3156/event_loop.hpp"
#include "reference/net/accepting.hpp"

namespace pep3156::reference::net {

/// Puts a transport on connected stream socket `sock` and schedules
/// `protocol`'s connection_made(); `waiter` (if valid) is resolved once it
/// has returned, `on_lost` (if set) runs once connection_lost() has. The
/// stream methods below take one: empty means the readiness StreamTransport
/// (a loop with transports of its own, ProactorEventLoop, passes its own).
/// The servers take a MakeAccepting too (empty: the readiness way).
using StartStreamTransport = std::function<std::shared_ptr<Transport>(
    Socket sock, std::shared_ptr<Protocol> protocol, Future<void> waiter, Callback on_lost)>;

/// A TCP connection to the first address of host:port that accepts, or
/// over `options.sock`. std::system_error naming every address tried if
/// none does (LOOP-CONN-*).
Future<StreamConnection> create_connection(AbstractEventLoop& loop, ProtocolFactory factory, std::string host,
                                           std::uint16_t port, ConnectionOptions options,
                                           StartStreamTransport start_transport = {});

/// Listens on every address of host:port (IPv4 and IPv6 for an empty host
/// where the host has both; the IPv6 socket is IPV6_V6ONLY), or on
/// `options.sock`. Each socket bound to port 0 gets a port of its own:
/// Server::sockets() tells which (LOOP-SERVER-*).
Future<std::shared_ptr<Server>> create_server(AbstractEventLoop& loop, ProtocolFactory factory,
                                              std::string host, std::uint16_t port, ServerOptions options,
                                              StartStreamTransport start_transport = {},
                                              MakeAccepting make_accepting = {});

/// A UDP endpoint: every pair of a local and a remote address of the same
/// family is tried in turn (LOOP-DGRAM-ADDR-COMBINATIONS).
Future<DatagramConnection> create_datagram_endpoint(AbstractEventLoop& loop, DatagramProtocolFactory factory,
                                                    DatagramOptions options);

/// A UNIX-domain stream connection to `path`, or over `options.sock`.
Future<StreamConnection> create_unix_connection(AbstractEventLoop& loop, ProtocolFactory factory,
                                                std::string path, ConnectionOptions options,
                                                StartStreamTransport start_transport = {});

/// Listens on the UNIX-domain socket `path`, or on `options.sock`. A socket
/// file left at `path` by a server that is gone (connecting to it is
/// refused) is removed first; a live socket or a file of another kind is
/// never touched (bind() then fails with EADDRINUSE). Server::close()
/// removes the socket file it created, if it is still there.
Future<std::shared_ptr<Server>> create_unix_server(AbstractEventLoop& loop, ProtocolFactory factory,
                                                   std::string path, ServerOptions options,
                                                   StartStreamTransport start_transport = {},
                                                   MakeAccepting make_accepting = {});

/// The read end of a pipe (a FIFO, socket or character device in
/// non-blocking mode; ValueError otherwise) as a ReadTransport. The
/// transport owns `pipe`; on error it is closed.
Future<ReadPipeConnection> connect_read_pipe(AbstractEventLoop& loop, ProtocolFactory factory, Socket pipe);

/// The write end of a pipe as a WriteTransport. It does flow control like
/// a socket's (decision A7: pause_writing()/resume_writing() at the water
/// marks), write_eof() closes it, and the read end going away ends it with
/// connection_lost() (EPIPE if data was still buffered).
Future<WritePipeConnection> connect_write_pipe(AbstractEventLoop& loop, BaseProtocolFactory factory,
                                               Socket pipe);

}  // namespace pep3156::reference::net
