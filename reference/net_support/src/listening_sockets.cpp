#include "reference/net/listening_sockets.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <system_error>

#include "pep3156/errors.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {

/// Binds a socket to be a listener on `info`'s address (the Server calls
/// listen()).
void bind_listener(const Socket& sock, const AddrInfo& info, bool reuse_address) {
  int on = 1;
  // LOOP-SERVER-REUSE-ADDRESS
  if (reuse_address && ::setsockopt(sock.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
    throw_errno("setsockopt(SO_REUSEADDR)");
  }
  // LOOP-SERVER-DUAL-STACK: one socket per family, so the IPv6 one must not
  // also claim the IPv4 port.
  if (info.family == AF_INET6 && ::setsockopt(sock.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) {
    throw_errno("setsockopt(IPV6_V6ONLY)");
  }
  bind_to(sock.fd(), info.address);
}

}  // namespace

std::vector<Socket> bind_listeners(const std::vector<AddrInfo>& infos, bool reuse_address) {
  std::vector<Socket> listening;
  std::vector<SocketAddress> bound;
  std::exception_ptr unsupported;
  for (const AddrInfo& info : infos) {
    if (std::find(bound.begin(), bound.end(), info.address) != bound.end()) continue;
    Socket sock;
    try {
      sock = open_socket(info.family, SOCK_STREAM, info.protocol);
    } catch (const std::system_error&) {
      unsupported = std::current_exception();
      continue;
    }
    bind_listener(sock, info, reuse_address);
    listening.push_back(std::move(sock));
    bound.push_back(info.address);
  }
  if (listening.empty()) std::rethrow_exception(unsupported);
  return listening;
}

}  // namespace pep3156::reference::net
