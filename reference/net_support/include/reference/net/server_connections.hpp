// What a Server's wait_closed() waits for (SERVER-WAIT-CLOSED, decision
// D-SERVER-2): the server closed and every connection it accepted gone.
#pragma once

#include <cstddef>
#include <vector>

#include "pep3156/future.hpp"

namespace pep3156::reference::net {

/// Counts a Server's open connections and holds its wait_closed() waiters,
/// resolving them once the server is closed and the count is zero. The
/// Server itself does the accepting and the closing.
class ServerConnections {
 public:
  /// A connection accepted: the server now serves it.
  void opened() noexcept { ++open_; }
  /// A connection's transport is gone.
  void gone();
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
