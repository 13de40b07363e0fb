#include "reference/net/socket_server.hpp"

#include <sys/socket.h>

#include "reference/net/report.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {
constexpr double kAcceptRetryDelay = 0.1;  // seconds
}  // namespace

std::shared_ptr<SocketServer> SocketServer::start(AbstractEventLoop& loop, std::vector<Socket> listening,
                                                  int backlog, ServeConnection serve, Callback on_close) {
  auto server =
      std::make_shared<SocketServer>(Private{}, loop, backlog, std::move(serve), std::move(on_close));
  for (Socket& socket : listening) {
    if (::listen(socket.fd(), backlog) != 0) throw_errno("listen");
    SocketAddress address = socket.local_address();
    server->listeners_.push_back({std::move(socket), std::move(address), {}});
  }
  for (std::size_t i = 0; i < server->listeners_.size(); ++i) server->watch(i);
  return server;
}

SocketServer::SocketServer(Private, AbstractEventLoop& loop, int backlog, ServeConnection serve,
                           Callback on_close)
    : loop_(loop), backlog_(backlog), serve_(std::move(serve)), on_close_(std::move(on_close)) {}

void SocketServer::watch(std::size_t index) {
  loop_.add_reader(listeners_[index].socket.fd(),
                   [self = shared_from_this(), index] { self->accept_ready(index); });
}

void SocketServer::accept_ready(std::size_t index) {
  auto self = shared_from_this();
  for (int i = 0; i < backlog_ && !closed_; ++i) {
    int conn = ::accept4(listeners_[index].socket.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;  // that one is gone; try the next
      back_off(index, os_error(errno, "accept"));
      return;
    }
    starved_ = false;
    connections_.serve(loop_, Socket(conn), serve_, self);  // the protocol factory may close() the server
  }
}

void SocketServer::back_off(std::size_t index, std::exception_ptr error) {
  Listener& listener = listeners_[index];
  loop_.remove_reader(listener.socket.fd());
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
    loop_.remove_reader(listener.socket.fd());
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
