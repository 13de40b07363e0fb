// SelectorEventLoop: the complete reference loop, what users and the
// reference adapter create:
//
//   auto loop = std::make_shared<SelectorEventLoop>(make_poller("poll"));
//
// The core (CoreSelectorEventLoop, reference/include) with the transports
// any readiness loop can have on top (ReadinessTransports,
// reference/transports): networking (name lookups, transports,
// create_connection, servers, sock_*, UNIX sockets, pipes) from
// reference/net, built on add_reader(), add_writer() and call_soon() as
// asyncio's selector transports are; TLS stacked on its stream transports
// (reference/tls); subprocesses (reference/subprocess).
#pragma once

#include "reference/core_selector_event_loop.hpp"
#include "reference/readiness_transports.hpp"

namespace pep3156::reference {

class SelectorEventLoop final : public ReadinessTransports<CoreSelectorEventLoop> {
 public:
  using ReadinessTransports::ReadinessTransports;

  /// The core's categories, plus UNIX sockets, pipes and subprocesses, and
  /// IPv6 where this host has an IPv6 loopback.
  Capabilities capabilities() const override;
};

}  // namespace pep3156::reference
