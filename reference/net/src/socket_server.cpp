#include "reference/net/socket_server.hpp"

#include <sys/socket.h>

#include "reference/net/report.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {
constexpr double kAcceptRetryDelay = 0.1;  // seconds
}  // namespace

std::shared_ptr<SocketServer> SocketServer::start(AbstractEventLoop& loop, std::vector<Socket> listening,
                                                  int backlog, ServeConnection serve, Callback on_close,
                                                  const MakeAccepting& make_accepting) {
  auto accepting = make_accepting ? make_accepting(loop, backlog) : readiness_accepting(loop, backlog);
  auto server = std::make_shared<SocketServer>(Private{}, loop, std::move(accepting), std::move(serve),
                                               std::move(on_close));
  for (Socket& socket : listening) {
    if (::listen(socket.fd(), backlog) != 0) throw_errno("listen");
    SocketAddress address = socket.local_address();
    server->listeners_.push_back({std::move(socket), std::move(address), {}});
  }
  for (std::size_t i = 0; i < server->listeners_.size(); ++i) server->watch(i);
  return server;
}

SocketServer::SocketServer(Private, AbstractEventLoop& loop, std::unique_ptr<Accepting> accepting,
                           ServeConnection serve, Callback on_close)
    : loop_(loop),
      accepting_(std::move(accepting)),
      serve_(std::move(serve)),
      on_close_(std::move(on_close)) {}

void SocketServer::watch(std::size_t index) {
  accepting_->start(
      listeners_[index].socket.fd(),
      [self = shared_from_this()](Socket connection) { return self->accepted(std::move(connection)); },
      [self = shared_from_this(), index](int error) { self->back_off(index, os_error(error, "accept")); });
}

bool SocketServer::accepted(Socket connection) {
  starved_ = false;
  connections_.serve(loop_, std::move(connection), serve_,
                     shared_from_this());  // the protocol factory may close() the server
  return !closed_;
}

void SocketServer::back_off(std::size_t index, std::exception_ptr error) {
  Listener& listener = listeners_[index];
  if (!starved_) {
    starved_ = true;
    report_error(loop_, "accept() failed; retrying every 100 ms", std::move(error), nullptr, nullptr,
                 listener.socket.fd());
  }
  listener.retry = loop_.call_later(kAcceptRetryDelay, [self = shared_from_this(), index] {
    if (!self->closed_) self->watch(index);
  });
}

void SocketServer::close() {
  if (closed_) return;
  closed_ = true;
  for (Listener& listener : listeners_) {
    accepting_->stop(listener.socket.fd());
    listener.retry.cancel();
  }
  listeners_.clear();  // closes the listening sockets
  if (on_close_) std::exchange(on_close_, {})();
  connections_.server_closed();
}

Future<void> SocketServer::wait_closed() { return connections_.wait_closed(loop_.create_future<void>()); }

std::vector<ListeningSocket> SocketServer::sockets() const {
  std::vector<ListeningSocket> result;
  for (const Listener& listener : listeners_) result.push_back({listener.socket.fd(), listener.address});
  return result;
}

}  // namespace pep3156::reference::net
