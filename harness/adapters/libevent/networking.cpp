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
}  // namespace pep3156::libevent_adapter
