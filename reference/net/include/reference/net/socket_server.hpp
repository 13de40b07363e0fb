// SocketServer: the Server that create_server() and create_unix_server()
// return (PEP 3156, "Servers"): it accepts connections on its listening
// sockets and counts them until each has called connection_lost().
//
// Accepting: each readiness of a listening socket accepts up to `backlog`
// connections. Running out of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM) leaves the connection queued in the kernel, so accepting
// at once again would spin: the server stops accepting on that socket for
// 100 ms, tells the exception handler once until an accept succeeds again,
// and goes on serving.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "pep3156/event_loop.hpp"
#include "reference/net/accepting.hpp"
#include "reference/net/server_connections.hpp"

namespace pep3156::reference::net {

class SocketServer final : public Server, public std::enable_shared_from_this<SocketServer> {
  struct Private {};

 public:
  /// Listens on every socket (listen(backlog)) and serves each connection
  /// with `serve`, accepting as `make_accepting` says (empty: the readiness
  /// way). `on_close`, if given, runs once when the server closes.
  static std::shared_ptr<SocketServer> start(AbstractEventLoop& loop, std::vector<Socket> listening,
                                             int backlog, ServeConnection serve, Callback on_close = {},
                                             const MakeAccepting& make_accepting = {});

  SocketServer(Private, AbstractEventLoop& loop, std::unique_ptr<Accepting> accepting, ServeConnection serve,
               Callback on_close);

  /// SERVER-CLOSE: stops accepting and closes the listening sockets; the
  /// connections already accepted go on. Idempotent.
  void close() override;
  /// SERVER-WAIT-CLOSED, decision D-SERVER-2.
  Future<void> wait_closed() override;
  std::vector<ListeningSocket> sockets() const override;

 private:
  struct Listener {
    Socket socket;
    SocketAddress address;
    TimerHandle retry;  // the end of an accept back-off
  };

  void watch(std::size_t index);
  bool accepted(Socket connection);
  void back_off(std::size_t index, std::exception_ptr error);

  AbstractEventLoop& loop_;
  std::unique_ptr<Accepting> accepting_;
  ServeConnection serve_;
  Callback on_close_;
  std::vector<Listener> listeners_;
  ServerConnections connections_;  // for wait_closed()
  bool closed_ = false;
  bool starved_ = false;  // accept() is backing off; reported once
};

}  // namespace pep3156::reference::net
