// Waiting for a new transport's connection_made(), the last step of every
// create_*() and connect_*_pipe().
#pragma once

#include <memory>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// Waits until the transport has called connection_made() (decision
/// D-NET-1). If that fails or the wait is cancelled, the transport is
/// closed and the error goes on.
Coroutine<void> connection_made(Future<void> waiter, std::shared_ptr<BaseTransport> transport);

}  // namespace pep3156::reference::net
