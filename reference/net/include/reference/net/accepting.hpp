// Accepting: how a SocketServer learns of the connections waiting on its
// listening sockets. The readiness way (readiness_accepting(), asyncio's
// selector_events.py) watches each socket with add_reader() and calls
// accept4() when it is readable; a proactor loop submits accept operations
// instead (ProactorEventLoop's, asyncio's proactor_events.py). What to do
// with a connection, and how to back off when accepting fails (EMFILE), is
// the server's (LOOP-SERVER-*).
#pragma once

#include <functional>
#include <memory>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

class Accepting {
 public:
  /// Takes a connection just accepted (non-blocking, close-on-exec); false
  /// once the server wants no more (it was closed meanwhile).
  using OnAccepted = std::function<bool(Socket connection)>;
  /// Takes the errno of an accept that failed for a reason other than a
  /// connection gone while queued; accepting on that socket has stopped.
  using OnFailed = std::function<void(int error)>;

  virtual ~Accepting() = default;
  /// Accepts on listening socket `fd` until stop(fd) or a failure.
  virtual void start(int fd, OnAccepted on_accepted, OnFailed on_failed) = 0;
  /// Stops accepting on `fd`: no callback of its start() runs afterwards.
  virtual void stop(int fd) noexcept = 0;
};

/// Makes the Accepting a server uses; `backlog` is its listen() backlog.
using MakeAccepting = std::function<std::unique_ptr<Accepting>(AbstractEventLoop& loop, int backlog)>;

/// add_reader(), then up to `backlog` accept4() calls per readiness.
std::unique_ptr<Accepting> readiness_accepting(AbstractEventLoop& loop, int backlog);

}  // namespace pep3156::reference::net
