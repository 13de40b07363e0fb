// Server (PEP 3156, "Servers"): what create_server() returns.
#pragma once

#include <vector>

#include "pep3156/address.hpp"
#include "pep3156/future.hpp"

namespace pep3156 {

/// One listening socket of a Server: its descriptor (owned by the Server)
/// and the address it is bound to.
struct ListeningSocket {
  int fd = -1;
  SocketAddress address;
};

class Server {
 public:
  virtual ~Server() = default;

  /// Stop accepting new connections; connections already accepted go on.
  /// Idempotent.
  virtual void close() = 0;
  /// Done once the Server is closed and every accepted connection's
  /// transport has called connection_lost() (decision D-SERVER-2).
  virtual Future<void> wait_closed() = 0;
  /// The listening sockets, e.g. to learn the port bound for port 0. Empty
  /// after close(). A documented extension (decision D-SERVER-1; asyncio
  /// has Server.sockets).
  virtual std::vector<ListeningSocket> sockets() const = 0;
};

}  // namespace pep3156
