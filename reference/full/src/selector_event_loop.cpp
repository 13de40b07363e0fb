// SelectorEventLoop: the core plus the readiness transports
// (reference/transports/include/reference/readiness_transports.hpp), which
// build transports, servers and the sock_*() methods on add_reader()/
// add_writer() (a transport watches its socket and reads or writes when the
// poller says it can) and on call_soon() (protocol callbacks always run
// from the ready queue, never from inside a transport method), as asyncio's
// selector_events.py does.
#include "reference/selector_event_loop.hpp"

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference {

Capabilities SelectorEventLoop::capabilities() const {
  Capabilities capabilities = CoreSelectorEventLoop::capabilities();
  capabilities.categories = capabilities.categories | Category::pipes_subprocesses | Category::unix_sockets;
  static const bool ipv6 = net::host_has_ipv6_loopback();
  if (ipv6) capabilities.categories = capabilities.categories | Category::ipv6;
  return capabilities;
}

}  // namespace pep3156::reference
