// Networking not written yet: the contract's NotImplementedError.
#include "uv_event_loop.hpp"

namespace loopcert_libuv {

Future<DatagramConnection> UvEventLoop::create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) {
  not_implemented("create_datagram_endpoint()");
}

}  // namespace loopcert_libuv
