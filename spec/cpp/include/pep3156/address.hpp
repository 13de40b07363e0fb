// Sockets and addresses: the C++ rendering of Python's address tuples
// (PEP 3156, "Internet name lookups") and socket objects.
//
// SocketAddress holds one IPv4, IPv6 or UNIX-domain address (a sockaddr and
// its length), the 2-tuple / 4-tuple / path of Python. Socket owns one file
// descriptor and closes it exactly once; a plain `int` in an API means the
// caller keeps ownership. On Windows the `int` holds a SOCKET or HANDLE
// (socket_api.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "pep3156/socket_api.hpp"

namespace pep3156 {

class SocketAddress {
 public:
  SocketAddress() noexcept;
  /// From a numeric host ("127.0.0.1", "::1", "fe80::1%eth0") and a port.
  /// Throws ValueError if `host` is not a numeric IPv4 or IPv6 address.
  SocketAddress(std::string_view numeric_host, std::uint16_t port);
  /// From a raw sockaddr (ValueError if the family is not INET/INET6/UNIX
  /// or the length does not fit).
  SocketAddress(const sockaddr* address, socklen_t length);
  /// A UNIX-domain address (ValueError if the path is too long).
  static SocketAddress unix_path(std::string_view path);

  int family() const noexcept { return storage_.ss_family; }
  bool empty() const noexcept { return family() == AF_UNSPEC; }
  /// The numeric host (IPv4/IPv6) or the path (UNIX).
  std::string host() const;
  /// The port (0 for UNIX addresses).
  std::uint16_t port() const noexcept;
  /// IPv6 flow info and scope id, the rest of Python's 4-tuple.
  std::uint32_t flowinfo() const noexcept;
  std::uint32_t scope_id() const noexcept;
  /// "127.0.0.1:80", "[::1]:80" or the path.
  std::string to_string() const;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return length_; }

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept;

 private:
  sockaddr_storage storage_;
  socklen_t length_;
};

/// Owns one file descriptor (a socket or a pipe end) and closes it once.
class Socket {
 public:
  Socket() noexcept = default;
  explicit Socket(int fd) noexcept : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  int fd() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the descriptor held now (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

  /// The address the socket is bound to (getsockname), or the peer's
  /// (getpeername). Throw std::system_error.
  SocketAddress local_address() const;
  SocketAddress peer_address() const;

 private:
  int fd_ = -1;
};

/// One row of getaddrinfo(): Python's (family, type, proto, canonname,
/// address) 5-tuple.
struct AddrInfo {
  int family = 0;
  int type = 0;
  int protocol = 0;
  std::string canonical_name;
  SocketAddress address;
};

/// getnameinfo()'s (host, port) pair; the port as a service string, as
/// Python returns it.
struct NameInfo {
  std::string host;
  std::string port;
};

/// A host and port to be resolved (Python's `(host, port)` tuple for
/// local_addr / remote_addr). An empty host means "any" where binding.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

}  // namespace pep3156
