// Waker on Windows, which has neither eventfd nor pipes that a socket API
// can watch: the self-pipe as a connected pair of loopback TCP sockets (as
// CPython's socket.socketpair() there). wake() sends one byte, drain()
// receives until none is left; both sockets are non-blocking.
#include <stdexcept>

#include "pep3156/address.hpp"
#include "pep3156/errors.hpp"
#include "pep3156/socket_api.hpp"
#include "reference/waker.hpp"

namespace pep3156::reference {

namespace {
/// Binds `listener` to 127.0.0.1 on a free port and returns the address.
sockaddr_in listen_on_loopback(SOCKET listener) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw_socket_error("waker: loopback listener");
  }
  return address;
}

/// True if `accepted`'s peer is `client` (not another program that
/// connected to the listener first).
bool connected_to_each_other(SOCKET accepted, SOCKET client) {
  sockaddr_in peer{};
  sockaddr_in local{};
  int peer_length = sizeof peer;
  int local_length = sizeof local;
  return ::getpeername(accepted, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0 &&
         ::getsockname(client, reinterpret_cast<sockaddr*>(&local), &local_length) == 0 &&
         peer.sin_port == local.sin_port && peer.sin_addr.s_addr == local.sin_addr.s_addr;
}
}  // namespace

Waker::Waker() {
  // Blocking while they connect (the listener's backlog holds the connect
  // until accept()), non-blocking afterwards.
  Socket listener(static_cast<int>(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
  Socket client(static_cast<int>(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
  if (!listener || !client) throw_socket_error("waker: socket");
  sockaddr_in address = listen_on_loopback(as_socket(listener.fd()));
  if (::connect(as_socket(client.fd()), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw_socket_error("waker: connect");
  }
  Socket accepted(static_cast<int>(::accept(as_socket(listener.fd()), nullptr, nullptr)));
  if (!accepted) throw_socket_error("waker: accept");
  if (!connected_to_each_other(as_socket(accepted.fd()), as_socket(client.fd()))) {
    throw std::runtime_error("waker: a stranger connected to the loopback listener");
  }
  u_long non_blocking = 1;
  for (const Socket* end : {&accepted, &client}) {
    if (::ioctlsocket(as_socket(end->fd()), FIONBIO, &non_blocking) != 0)
      throw_socket_error("waker: ioctlsocket");
  }
  read_fd_ = accepted.release();
  write_fd_ = client.release();
}

void Waker::wake() noexcept {
  // WSAEWOULDBLOCK (a full buffer) means a wake-up is already pending.
  const char one = 1;
  ::send(as_socket(write_fd_), &one, 1, 0);
}

void Waker::drain() noexcept {
  char buffer[64];
  while (::recv(as_socket(read_fd_), buffer, sizeof buffer, 0) > 0) {
  }
}

void Waker::close() noexcept {
  if (write_fd_ >= 0) close_socket(write_fd_);
  if (read_fd_ >= 0) close_socket(read_fd_);
  read_fd_ = write_fd_ = -1;
}

}  // namespace pep3156::reference
