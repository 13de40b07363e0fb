// sock_recv(), sock_sendall(), sock_connect() and sock_accept() on the
// caller's non-blocking socket: pep3156_net_support's, which try the call
// at once and, if the socket is not ready, retry whenever this loop's
// uv_poll_t watcher for it fires (add_reader()/add_writer()), as asyncio
// does.
#include "reference/net/sock_methods.hpp"
#include "uv_event_loop.hpp"

namespace loopcert_libuv {

Future<Bytes> UvEventLoop::sock_recv(int fd, std::size_t n) {
  return reference::net::sock_recv(*this, fd, n);
}

Future<void> UvEventLoop::sock_sendall(int fd, Bytes data) {
  return reference::net::sock_sendall(*this, fd, std::move(data));
}

Future<void> UvEventLoop::sock_connect(int fd, SocketAddress address) {
  return reference::net::sock_connect(*this, fd, std::move(address));
}

Future<AcceptedSocket> UvEventLoop::sock_accept(int fd) { return reference::net::sock_accept(*this, fd); }

}  // namespace loopcert_libuv
