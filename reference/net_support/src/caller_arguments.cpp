#include "reference/net/caller_arguments.hpp"

#include <sys/socket.h>

#include <string>

#include "pep3156/errors.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

void check_family(int family, const char* method) {
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    throw ValueError(std::string(method) + ": family must be AF_UNSPEC, AF_INET or AF_INET6");
  }
}

Socket take_caller_socket(std::optional<Socket>& sock, bool address_given, int family, const char* method) {
  Socket taken = std::move(*sock);
  sock.reset();
  if (address_given) throw ValueError(std::string(method) + ": the address must be empty with sock");
  if (socket_option(taken.fd(), SO_TYPE) != SOCK_STREAM ||
      (family != 0 && socket_option(taken.fd(), SO_DOMAIN) != family)) {
    throw ValueError(std::string(method) + ": sock must be a stream socket" +
                     (family == AF_UNIX ? " of the UNIX domain" : ""));
  }
  set_nonblocking(taken.fd());
  return taken;
}

std::optional<Socket> take_connection_sock(const std::string& host, std::uint16_t port,
                                           ConnectionOptions& options) {
  check_family(options.family, "create_connection()");
  bool address_given = !host.empty() || port != 0;
  if (options.sock) return take_caller_socket(options.sock, address_given, 0, "create_connection()");
  if (!address_given) throw ValueError("create_connection(): host and port, or sock, are required");
  return std::nullopt;
}

std::optional<Socket> take_unix_connection_sock(const std::string& path, ConnectionOptions& options) {
  if (options.local_addr) throw ValueError("create_unix_connection(): local_addr is for internet sockets");
  if (options.sock)
    return take_caller_socket(options.sock, !path.empty(), AF_UNIX, "create_unix_connection()");
  if (path.empty()) throw ValueError("create_unix_connection(): path or sock is required");
  SocketAddress::unix_path(path);  // ValueError if too long for a sockaddr_un
  return std::nullopt;
}

std::optional<Socket> take_server_sock(const std::string& host, std::uint16_t port, ServerOptions& options) {
  check_family(options.family, "create_server()");
  if (options.sock) return take_caller_socket(options.sock, !host.empty() || port != 0, 0, "create_server()");
  return std::nullopt;
}

std::optional<Socket> take_unix_server_sock(const std::string& path, ServerOptions& options) {
  if (options.sock) return take_caller_socket(options.sock, !path.empty(), AF_UNIX, "create_unix_server()");
  if (path.empty()) throw ValueError("create_unix_server(): path or sock is required");
  SocketAddress::unix_path(path);  // ValueError if too long for a sockaddr_un
  return std::nullopt;
}

void check_datagram_arguments(const DatagramOptions& options) {
  check_family(options.family, "create_datagram_endpoint()");
  if (!options.local_addr && !options.remote_addr && options.family == 0) {
    throw ValueError("create_datagram_endpoint(): a family, local_addr or remote_addr is required");
  }
}

}  // namespace pep3156::reference::net
