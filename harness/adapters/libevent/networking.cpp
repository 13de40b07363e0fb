// LibeventEventLoop's networking: not written yet, so NotImplementedError.
#include "libevent_event_loop.hpp"

namespace pep3156::libevent_adapter {

Future<DatagramConnection> LibeventEventLoop::create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) {
  not_implemented("create_datagram_endpoint()");
}
}  // namespace pep3156::libevent_adapter
