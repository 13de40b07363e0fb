// ReadinessTransports<Loop>: the PEP's networking, pipes and subprocesses
// for any loop that has readiness callbacks, as one installed library
// (libpep3156_transports) and this one class template.
//
// A loop that offers add_reader()/add_writer(), call_soon() and timers —
// the reference SelectorEventLoop, an adapter over libev, anyone's
// hand-made loop — derives from ReadinessTransports<ItsLoop> and gets
// create_connection(), create_server(), create_datagram_endpoint(), the
// sock_*() methods, UNIX sockets, pipes, subprocesses and TLS, built the
// way asyncio's selector_events.py builds them: every transport watches
// its descriptor through the loop's own add_reader()/add_writer() and calls
// its protocol from call_soon(). Nothing here knows how the loop waits.
//
//   class MyLoop final : public pep3156::reference::ReadinessTransports<MyLoopCore> { ... };
//
// A loop whose library has its own sockets, streams and processes (libuv,
// libevent, Asio) should use those instead: a certificate then speaks for
// the library, not for these transports.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pep3156/event_loop.hpp"
#include "reference/net/loop_methods.hpp"
#include "reference/net/name_lookup.hpp"
#include "reference/net/sock_methods.hpp"
#include "reference/subprocess/subprocess_methods.hpp"

namespace pep3156::reference {

template <class Loop>
class ReadinessTransports : public Loop {
 public:
  using Loop::Loop;

  Future<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port,
                                            GetAddrInfoOptions options = {}) override {
    return net::getaddrinfo(*this, std::move(host), std::move(port), options);
  }
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options = {}) override {
    return net::create_connection(*this, std::move(factory), std::move(host), port, std::move(options));
  }
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options = {}) override {
    return net::create_server(*this, std::move(factory), std::move(host), port, std::move(options));
  }
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options = {}) override {
    return net::create_datagram_endpoint(*this, std::move(factory), std::move(options));
  }
  Future<Bytes> sock_recv(int fd, std::size_t n) override { return net::sock_recv(*this, fd, n); }
  Future<void> sock_sendall(int fd, Bytes data) override {
    return net::sock_sendall(*this, fd, std::move(data));
  }
  Future<void> sock_connect(int fd, SocketAddress address) override {
    return net::sock_connect(*this, fd, std::move(address));
  }
  Future<AcceptedSocket> sock_accept(int fd) override { return net::sock_accept(*this, fd); }
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options = {}) override {
    return net::create_unix_connection(*this, std::move(factory), std::move(path), std::move(options));
  }
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options = {}) override {
    return net::create_unix_server(*this, std::move(factory), std::move(path), std::move(options));
  }
  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe) override {
    return net::connect_read_pipe(*this, std::move(factory), std::move(pipe));
  }
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe) override {
    return net::connect_write_pipe(*this, std::move(factory), std::move(pipe));
  }
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options = {}) override {
    return subprocess::subprocess_exec(*this, std::move(factory), std::move(args), std::move(options));
  }
  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options = {}) override {
    return subprocess::subprocess_shell(*this, std::move(factory), std::move(command), std::move(options));
  }
};

}  // namespace pep3156::reference
