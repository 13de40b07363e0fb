// What a Server's wait_closed() waits for (SERVER-WAIT-CLOSED, decision
// D-SERVER-2): the server closed and every connection it accepted gone.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// Starts a connection on an accepted socket: puts a transport and a new
/// protocol on it and arranges for `on_lost` to run once that transport
/// has called connection_lost() -- or throws without having done any of
/// it.
using ServeConnection = std::function<void(Socket connection, Callback on_lost)>;

/// Counts a Server's open connections and holds its wait_closed() waiters,
/// resolving them once the server is closed and the count is zero. The
/// Server itself does the accepting and the closing.
class ServerConnections {
 public:
  /// A connection accepted: the server now serves it.
  void opened() noexcept { ++open_; }
  /// A connection's transport is gone.
  void gone();
  /// Serves one accepted connection with `serve` and counts it until its
  /// transport is lost (LOOP-SERVER-PER-CONNECTION), keeping `server` (the
  /// Server this belongs to) alive until then. If `serve` throws, the error
  /// goes to `loop`'s exception handler and the server goes on.
  void serve(AbstractEventLoop& loop, Socket connection, const ServeConnection& serve,
             std::shared_ptr<const void> server);
  /// The server has closed (it accepts no more).
  void server_closed();
  /// `waiter` (a new Future of the server's loop), resolved once the
  /// server is closed and its connections are gone: at once if they are.
  Future<void> wait_closed(Future<void> waiter);

 private:
  void finish_waiters_if_done();

  std::vector<Future<void>> waiters_;
  std::size_t open_ = 0;
  bool server_closed_ = false;
};

}  // namespace pep3156::reference::net
