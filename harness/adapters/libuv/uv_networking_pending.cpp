// Networking not written yet: the contract's NotImplementedError.
#include "uv_event_loop.hpp"

namespace loopcert_libuv {

Future<std::vector<AddrInfo>> UvEventLoop::getaddrinfo(std::string host, std::string port,
                                                       GetAddrInfoOptions options) {
  return AbstractEventLoop::getaddrinfo(std::move(host), std::move(port), options);
}
Future<StreamConnection> UvEventLoop::create_connection(ProtocolFactory, std::string, std::uint16_t,
                                                        ConnectionOptions) {
  not_implemented("create_connection()");
}
Future<std::shared_ptr<Server>> UvEventLoop::create_server(ProtocolFactory, std::string, std::uint16_t,
                                                           ServerOptions) {
  not_implemented("create_server()");
}
Future<DatagramConnection> UvEventLoop::create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) {
  not_implemented("create_datagram_endpoint()");
}
Future<Bytes> UvEventLoop::sock_recv(int, std::size_t) { not_implemented("sock_recv()"); }
Future<void> UvEventLoop::sock_sendall(int, Bytes) { not_implemented("sock_sendall()"); }
Future<void> UvEventLoop::sock_connect(int, SocketAddress) { not_implemented("sock_connect()"); }
Future<AcceptedSocket> UvEventLoop::sock_accept(int) { not_implemented("sock_accept()"); }

}  // namespace loopcert_libuv
