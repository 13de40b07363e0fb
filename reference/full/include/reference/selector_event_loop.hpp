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
// (reference/tls); subprocesses (reference/subprocess). It implements every
// optional category: I/O callbacks, pipes and subprocesses, signals, and
// UNIX sockets (the reference adapter declares them, decision D-TIER-1).
#pragma once

#include "reference/core_selector_event_loop.hpp"
#include "reference/readiness_transports.hpp"

namespace pep3156::reference {

class SelectorEventLoop final : public ReadinessTransports<CoreSelectorEventLoop> {
 public:
  using ReadinessTransports::ReadinessTransports;
};

}  // namespace pep3156::reference
