// ProactorEventLoop: the proactor loop with networking, what the reference
// adapter certifies as loop "io_uring":
//
//   auto loop = std::make_shared<ProactorEventLoop>(make_proactor("io_uring"));
//
// The core (CoreProactorEventLoop, reference/include) with, for now, the
// readiness transports (ReadinessTransports, reference/transports): they
// watch their sockets, pipes and processes through add_reader() and
// add_writer(), which this loop implements with poll operations, so every
// byte they move still goes through read()/write() calls of their own,
// not through the proactor's operations. Transports that submit their
// reads, writes, accepts and connects as operations (asyncio's
// proactor_events.py) are the next step (issue #16); until then this is a
// completion-driven loop with readiness-style transports.
#pragma once

#include "reference/core_proactor_event_loop.hpp"
#include "reference/readiness_transports.hpp"

namespace pep3156::reference {

class ProactorEventLoop final : public ReadinessTransports<CoreProactorEventLoop> {
 public:
  using ReadinessTransports::ReadinessTransports;
};

}  // namespace pep3156::reference
