// SelectorEventLoop: the core plus networking and subprocesses. Every
// networking method forwards to
// pep3156::reference::net (reference/net), which builds transports,
// servers and the sock_*() methods on add_reader()/add_writer() (a
// transport watches its socket and reads or writes when the poller says it
// can) and on call_soon() (protocol callbacks always run from the ready
// queue, never from inside a transport method), as asyncio's
// selector_events.py does.
#include "reference/selector_event_loop.hpp"

#include "reference/net/loop_methods.hpp"
#include "reference/net/name_lookup.hpp"
#include "reference/net/sock_methods.hpp"
#include "reference/net/socket_ops.hpp"
#include "reference/subprocess/subprocess_methods.hpp"

namespace pep3156::reference {

Capabilities SelectorEventLoop::capabilities() const {
  Capabilities capabilities = CoreSelectorEventLoop::capabilities();
  capabilities.categories = capabilities.categories | Category::pipes_subprocesses | Category::unix_sockets;
  static const bool ipv6 = net::host_has_ipv6_loopback();
  if (ipv6) capabilities.categories = capabilities.categories | Category::ipv6;
  return capabilities;
}

Future<std::vector<AddrInfo>> SelectorEventLoop::getaddrinfo(std::string host, std::string port,
                                                             GetAddrInfoOptions options) {
  return net::getaddrinfo(*this, std::move(host), std::move(port), options);
}

Future<StreamConnection> SelectorEventLoop::create_connection(ProtocolFactory factory, std::string host,
                                                              std::uint16_t port, ConnectionOptions options) {
  return net::create_connection(*this, std::move(factory), std::move(host), port, std::move(options));
}

Future<std::shared_ptr<Server>> SelectorEventLoop::create_server(ProtocolFactory factory, std::string host,
                                                                 std::uint16_t port, ServerOptions options) {
  return net::create_server(*this, std::move(factory), std::move(host), port, std::move(options));
}

Future<DatagramConnection> SelectorEventLoop::create_datagram_endpoint(DatagramProtocolFactory factory,
                                                                       DatagramOptions options) {
  return net::create_datagram_endpoint(*this, std::move(factory), std::move(options));
}

Future<StreamConnection> SelectorEventLoop::create_unix_connection(ProtocolFactory factory, std::string path,
                                                                   ConnectionOptions options) {
  return net::create_unix_connection(*this, std::move(factory), std::move(path), std::move(options));
}

Future<std::shared_ptr<Server>> SelectorEventLoop::create_unix_server(ProtocolFactory factory,
                                                                      std::string path,
                                                                      ServerOptions options) {
  return net::create_unix_server(*this, std::move(factory), std::move(path), std::move(options));
}

Future<Bytes> SelectorEventLoop::sock_recv(int fd, std::size_t n) { return net::sock_recv(*this, fd, n); }

Future<void> SelectorEventLoop::sock_sendall(int fd, Bytes data) {
  return net::sock_sendall(*this, fd, std::move(data));
}

Future<void> SelectorEventLoop::sock_connect(int fd, SocketAddress address) {
  return net::sock_connect(*this, fd, std::move(address));
}

Future<AcceptedSocket> SelectorEventLoop::sock_accept(int fd) { return net::sock_accept(*this, fd); }

Future<ReadPipeConnection> SelectorEventLoop::connect_read_pipe(ProtocolFactory factory, Socket pipe) {
  return net::connect_read_pipe(*this, std::move(factory), std::move(pipe));
}

Future<WritePipeConnection> SelectorEventLoop::connect_write_pipe(BaseProtocolFactory factory, Socket pipe) {
  return net::connect_write_pipe(*this, std::move(factory), std::move(pipe));
}

Future<SubprocessConnection> SelectorEventLoop::subprocess_exec(SubprocessProtocolFactory factory,
                                                                std::vector<std::string> args,
                                                                SubprocessOptions options) {
  return subprocess::subprocess_exec(*this, std::move(factory), std::move(args), std::move(options));
}

Future<SubprocessConnection> SelectorEventLoop::subprocess_shell(SubprocessProtocolFactory factory,
                                                                 std::string command,
                                                                 SubprocessOptions options) {
  return subprocess::subprocess_shell(*this, std::move(factory), std::move(command), std::move(options));
}

}  // namespace pep3156::reference
