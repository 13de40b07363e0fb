#include "reference/net/local_address.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <exception>
#include <system_error>

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

void bind_local(const Socket& sock, int family, const std::vector<AddrInfo>& locals) {
  std::exception_ptr last_error = os_error(EADDRNOTAVAIL, "create_connection(): no local_addr of the family");
  for (const AddrInfo& local : locals) {
    if (local.family != family) continue;
    try {
      bind_to(sock.fd(), local.address);
      return;
    } catch (const std::system_error&) {
      last_error = std::current_exception();
    }
  }
  std::rethrow_exception(last_error);
}

Socket connection_socket(const AddrInfo& remote, const std::vector<AddrInfo>& locals) {
  Socket sock = open_socket(remote.family, SOCK_STREAM, remote.protocol);
  if (!locals.empty()) bind_local(sock, remote.family, locals);
  return sock;
}

}  // namespace pep3156::reference::net
