// The system calls the transports make, each wrapped once: EINTR is retried
// here and nowhere else, and a failure is either "would block" (the caller
// waits for readiness) or an errno the caller turns into std::system_error.
//
// Quirk: a write to a pipe whose reader is gone raises SIGPIPE, which kills
// the process by default. send() and sendmsg() take MSG_NOSIGNAL; writev()
// has no such flag, so write_some() blocks SIGPIPE in the calling thread for
// the call and consumes the signal the call raised (the technique of
// sigtimedwait(2)); the write then fails with EPIPE like the socket's.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <exception>
#include <span>
#include <string>

#include "pep3156/address.hpp"
#include "pep3156/bytes.hpp"

namespace pep3156::reference::net {

/// The outcome of one non-blocking transfer: `count` bytes moved, or
/// `error` (an errno, never EINTR), EAGAIN meaning "not ready, wait".
struct IoResult {
  std::size_t count = 0;
  int error = 0;

  bool would_block() const noexcept { return error == EAGAIN || error == EWOULDBLOCK; }
};

/// read(): at most `into.size()` bytes; count 0 without error is EOF.
IoResult read_some(int fd, std::span<std::byte> into);
/// recvfrom(): one datagram, truncated to `into.size()`, and its sender.
IoResult receive_datagram(int fd, std::span<std::byte> into, SocketAddress& sender);
/// sendto() of one datagram to `to`, or send() on a connected socket if null.
IoResult send_datagram(int fd, BytesView data, const SocketAddress* to);
/// Gather write of the buffers in order: sendmsg(MSG_NOSIGNAL) on a socket,
/// writev() without SIGPIPE on anything else.
IoResult write_some(int fd, bool is_socket, std::span<const iovec> buffers);

/// Where received bytes land before a protocol sees them: one buffer per
/// thread (256 KiB). The view a protocol gets is valid only during the call
/// (decision D-PROTO-4) and no receive happens inside a protocol call, so
/// one buffer serves every transport of the thread's loop.
std::span<std::byte> receive_buffer();

/// The iovec for a byte view (iovec's pointer is not const, writes never
/// modify through it).
inline iovec as_iovec(BytesView data) noexcept { return {const_cast<std::byte*>(data.data()), data.size()}; }

/// A new non-blocking, close-on-exec socket. Throws std::system_error.
Socket open_socket(int family, int type, int protocol);
/// ValueError unless `fd` is in non-blocking mode (LOOP-SOCK-NONBLOCKING-ARG);
/// std::system_error if it is not a descriptor.
void require_nonblocking(int fd, const char* method);
void set_nonblocking(int fd);
/// fstat()'s st_mode. Throws std::system_error.
unsigned file_mode(int fd);
/// getsockopt(SOL_SOCKET, option) for an int option. Throws std::system_error.
int socket_option(int fd, int option);
/// Bind, naming the address in the error. Throws std::system_error.
void bind_to(int fd, const SocketAddress& address);

/// An exception_ptr holding std::system_error(err) for operation `what`.
std::exception_ptr os_error(int err, const std::string& what);

/// True if this host can bind the IPv6 loopback address ::1.
bool host_has_ipv6_loopback();

}  // namespace pep3156::reference::net
