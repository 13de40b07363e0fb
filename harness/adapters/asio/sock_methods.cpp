// sock_recv(), sock_sendall(), sock_connect(), sock_accept() on the
// caller's non-blocking socket, which stays the caller's: pep3156_net_support's,
// which try the system call and, while it would block, wait for the fd's
// readiness from an Asio async_wait() (add_reader()/add_writer(), whose
// stream_descriptor never owns the fd).
#include "reference/net/sock_methods.hpp"

#include "asio_event_loop.hpp"

namespace loopcert_asio {

namespace net = pep3156::reference::net;
using pep3156::Bytes;

pep3156::Future<Bytes> AsioEventLoop::sock_recv(int fd, std::size_t n) {
  return net::sock_recv(*this, fd, n);  // LOOP-SOCK-RECV
}

pep3156::Future<void> AsioEventLoop::sock_sendall(int fd, Bytes data) {
  return net::sock_sendall(*this, fd, std::move(data));  // LOOP-SOCK-SENDALL
}

pep3156::Future<void> AsioEventLoop::sock_connect(int fd, pep3156::SocketAddress address) {
  return net::sock_connect(*this, fd, std::move(address));  // LOOP-SOCK-CONNECT
}

pep3156::Future<pep3156::AcceptedSocket> AsioEventLoop::sock_accept(int fd) {
  return net::sock_accept(*this, fd);  // LOOP-SOCK-ACCEPT
}

}  // namespace loopcert_asio
