// ProactorAccepting: ProactorEventLoop's servers accept with operations
// (asyncio's proactor_events.py _start_serving): one accept in flight per
// listening socket, the next submitted when it completes; stop() cancels it
// (IORING_OP_ASYNC_CANCEL), and a client that arrives afterwards stays
// queued on the socket (SERVER-CLOSE: a closed server accepts no more).
#pragma once

#include <memory>

#include "reference/net/accepting.hpp"
#include "reference/proactor.hpp"

namespace pep3156::reference {

/// The Accepting of a server on a ProactorEventLoop over `proactor`.
std::unique_ptr<net::Accepting> proactor_accepting(Proactor& proactor);

}  // namespace pep3156::reference
