// Waiting for a new transport's connection_made(), the last step of every
// create_*() and connect_*_pipe().
#pragma once

#include <memory>

#include "pep3156/event_loop.hpp"
#include "reference/net/make_protocol.hpp"

namespace pep3156::reference::net {

/// Waits until the transport has called connection_made() (decision
/// D-NET-1). If that fails or the wait is cancelled, the transport is
/// closed and the error goes on.
Coroutine<void> connection_made(Future<void> waiter, std::shared_ptr<BaseTransport> transport);

/// The last step of every create_*() and connect_*_pipe(): makes the
/// protocol (LOOP-CONN-FACTORY-NOARGS), starts its transport with
/// `start(protocol, waiter)`, and returns the (transport, protocol) pair
/// once connection_made() has returned.
template <class Result, class P, class Start>
Coroutine<Result> start_protocol(AbstractEventLoop& loop, Factory<P> factory, Start start) {
  std::shared_ptr<P> protocol = make_protocol(factory);
  auto waiter = loop.create_future<void>();
  auto transport = start(protocol, waiter);
  co_await connection_made(waiter, transport);
  co_return Result{transport, protocol};
}

}  // namespace pep3156::reference::net
