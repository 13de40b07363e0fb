// SelectorEventLoop: the complete reference loop, what users and the
// reference adapter create:
//
//   auto loop = std::make_shared<SelectorEventLoop>(make_poller("poll"));
//
// The core (CoreSelectorEventLoop, reference/include) with the layers on
// top: networking (name lookups, transports, create_connection, servers,
// sock_*, UNIX sockets, pipes) forwards to pep3156::reference::net
// (reference/net), which builds it on add_reader(), add_writer() and
// call_soon(), as asyncio's selector transports do; TLS stacks on its
// stream transports (reference/tls); subprocesses forward to
// pep3156::reference::subprocess (reference/subprocess).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "reference/core_selector_event_loop.hpp"

namespace pep3156::reference {

class SelectorEventLoop final : public CoreSelectorEventLoop {
 public:
  using CoreSelectorEventLoop::CoreSelectorEventLoop;

  /// The core's categories, plus UNIX sockets, pipes and subprocesses, and
  /// IPv6 where this host has an IPv6 loopback.
  Capabilities capabilities() const override;

  // --- Networking: forwarded to reference/net ----------------------------------------

  Future<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port,
                                            GetAddrInfoOptions options = {}) override;
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options = {}) override;
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options = {}) override;
  Future<Bytes> sock_recv(int fd, std::size_t n) override;
  Future<void> sock_sendall(int fd, Bytes data) override;
  Future<void> sock_connect(int fd, SocketAddress address) override;
  Future<AcceptedSocket> sock_accept(int fd) override;
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options = {}) override;
  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe) override;
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe) override;

  // --- Subprocesses: forwarded to reference/subprocess -----------------------------------

  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options = {}) override;
  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options = {}) override;
};

}  // namespace pep3156::reference
