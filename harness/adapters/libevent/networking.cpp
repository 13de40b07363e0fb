// LibeventEventLoop's networking: not written yet, so NotImplementedError.
#include "libevent_event_loop.hpp"

namespace pep3156::libevent_adapter {

Future<StreamConnection> LibeventEventLoop::create_connection(ProtocolFactory, std::string, std::uint16_t,
                                                              ConnectionOptions) {
  not_implemented("create_connection()");
}
Future<std::shared_ptr<Server>> LibeventEventLoop::create_server(ProtocolFactory, std::string, std::uint16_t,
                                                                 ServerOptions) {
  not_implemented("create_server()");
}
Future<DatagramConnection> LibeventEventLoop::create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) {
  not_implemented("create_datagram_endpoint()");
}
Future<Bytes> LibeventEventLoop::sock_recv(int, std::size_t) { not_implemented("sock_recv()"); }
Future<void> LibeventEventLoop::sock_sendall(int, Bytes) { not_implemented("sock_sendall()"); }
Future<void> LibeventEventLoop::sock_connect(int, SocketAddress) { not_implemented("sock_connect()"); }
Future<AcceptedSocket> LibeventEventLoop::sock_accept(int) { not_implemented("sock_accept()"); }

}  // namespace pep3156::libevent_adapter
