#include "reference/net/server_connections.hpp"

#include <utility>

#include "reference/net/report.hpp"

namespace pep3156::reference::net {

void ServerConnections::gone() {
  --open_;
  finish_waiters_if_done();
}

void ServerConnections::serve(AbstractEventLoop& loop, Socket connection, const ServeConnection& serve,
                              std::shared_ptr<const void> server) {
  opened();
  int fd = connection.fd();
  try {
    serve(std::move(connection), [this, server = std::move(server)] { gone(); });
  } catch (const std::exception&) {
    report_error(loop, "accepting a connection failed", std::current_exception(), nullptr, nullptr, fd);
    gone();
  }
}

void ServerConnections::server_closed() {
  server_closed_ = true;
  finish_waiters_if_done();
}

Future<void> ServerConnections::wait_closed(Future<void> waiter) {
  waiters_.push_back(waiter);
  finish_waiters_if_done();
  return waiter;
}

void ServerConnections::finish_waiters_if_done() {
  if (!server_closed_ || open_ > 0) return;
  for (Future<void>& waiter : std::exchange(waiters_, {})) {
    if (!waiter.done()) waiter.set_result();
  }
}

}  // namespace pep3156::reference::net
