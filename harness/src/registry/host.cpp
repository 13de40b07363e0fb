#include "registry/host.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace loopcert {

namespace {
/// Can a socket be bound to [::1]:0? (No IPv6 stack, IPv6 disabled, or no
/// ::1 on lo all say no.)
bool can_bind_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}
}  // namespace

HostProperties probe_host() { return HostProperties{.ipv6_loopback = can_bind_ipv6_loopback()}; }

pep3156::Capabilities without_host_properties(pep3156::Capabilities declared) {
  using pep3156::Category;
  declared.categories = static_cast<Category>(static_cast<std::uint32_t>(declared.categories) &
                                              ~static_cast<std::uint32_t>(Category::ipv6));
  return declared;
}

pep3156::Capabilities on_host(pep3156::Capabilities declared, const HostProperties& host) {
  pep3156::Capabilities capabilities = without_host_properties(declared);
  if (host.ipv6_loopback) capabilities.categories = capabilities.categories | pep3156::Category::ipv6;
  return capabilities;
}

}  // namespace loopcert
