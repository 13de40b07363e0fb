// SelectorEventLoop's networking: transports, create_connection(),
// create_server(), create_datagram_endpoint() and the sock_*() methods.
//
// Not written yet: each raises NotImplementedError. They will be built, as
// asyncio's selector_events.py builds them, on add_reader()/add_writer()
// (a transport watches its socket and reads or writes when the poller says
// it can) and on call_soon() (protocol callbacks always run from the ready
// queue, never from inside a transport method).
#include "reference/selector_event_loop.hpp"

namespace pep3156::reference {

Future<StreamConnection> SelectorEventLoop::create_connection(ProtocolFactory, std::string, std::uint16_t,
                                                              ConnectionOptions) {
  not_implemented("create_connection()");
}

Future<std::shared_ptr<Server>> SelectorEventLoop::create_server(ProtocolFactory, std::string, std::uint16_t,
                                                                 ServerOptions) {
  not_implemented("create_server()");
}

Future<DatagramConnection> SelectorEventLoop::create_datagram_endpoint(DatagramProtocolFactory,
                                                                       DatagramOptions) {
  not_implemented("create_datagram_endpoint()");
}

Future<Bytes> SelectorEventLoop::sock_recv(int, std::size_t) { not_implemented("sock_recv()"); }
Future<void> SelectorEventLoop::sock_sendall(int, Bytes) { not_implemented("sock_sendall()"); }
Future<void> SelectorEventLoop::sock_connect(int, SocketAddress) { not_implemented("sock_connect()"); }
Future<AcceptedSocket> SelectorEventLoop::sock_accept(int) { not_implemented("sock_accept()"); }

}  // namespace pep3156::reference
