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

}  // namespace pep3156::reference::net
