// The wrapped socket methods (PEP 3156, "Wrapped Socket Methods"):
// sock_recv(), sock_sendall(), sock_connect() and sock_accept() on a
// non-blocking socket, each a Future on `loop`.
//
// Each tries its system call at once and, if the socket is not ready,
// again whenever the loop reports it ready, then unregisters. Cancelling
// the Future unregisters too. A blocking socket is refused with ValueError
// thrown by the call (LOOP-SOCK-NONBLOCKING-ARG, decision D-TIER-3); what
// fails on the network is a std::system_error through the Future.
//
// One operation per socket and direction at a time: the loop keeps one
// reader and one writer per descriptor, so a second sock_recv() on a
// socket replaces the first one's registration.
#pragma once

#include <cstddef>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// Up to `n` bytes; empty at EOF (LOOP-SOCK-RECV).
Future<Bytes> sock_recv(AbstractEventLoop& loop, int fd, std::size_t n);
/// Done once every byte is sent (LOOP-SOCK-SENDALL).
Future<void> sock_sendall(AbstractEventLoop& loop, int fd, Bytes data);
/// Done once connected (LOOP-SOCK-CONNECT). A UNIX-domain listener whose
/// backlog is full refuses at once with EAGAIN.
Future<void> sock_connect(AbstractEventLoop& loop, int fd, SocketAddress address);
/// The next connection, non-blocking, and its peer's address (LOOP-SOCK-ACCEPT).
Future<AcceptedSocket> sock_accept(AbstractEventLoop& loop, int fd);

}  // namespace pep3156::reference::net
