// The wrapped socket methods (PEP 3156, "Wrapped Socket Methods"):
// pep3156_net_support's, which try the call and, while the socket would
// block, wait for libevent to report it ready (this loop's
// add_reader()/add_writer(), libevent events). Cancelling the method
// unregisters, and what the kernel held stays there (nothing is read or
// accepted after a cancel).
#include "reference/net/sock_methods.hpp"

#include "libevent_event_loop.hpp"

namespace pep3156::libevent_adapter {

Future<Bytes> LibeventEventLoop::sock_recv(int fd, std::size_t n) {
  return reference::net::sock_recv(*this, fd, n);
}

Future<void> LibeventEventLoop::sock_sendall(int fd, Bytes data) {
  return reference::net::sock_sendall(*this, fd, std::move(data));
}

Future<void> LibeventEventLoop::sock_connect(int fd, SocketAddress address) {
  return reference::net::sock_connect(*this, fd, std::move(address));
}

Future<AcceptedSocket> LibeventEventLoop::sock_accept(int fd) {
  return reference::net::sock_accept(*this, fd);
}

}  // namespace pep3156::libevent_adapter
