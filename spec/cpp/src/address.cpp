#include "pep3156/address.hpp"

// Beyond socket_api.hpp: UNIX-domain addresses and interface names.
#if defined(_WIN32)
#include <afunix.h>
#include <netioapi.h>
#else
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>
#endif

#include <cstring>
#include <optional>
#include <string>

#include "pep3156/errors.hpp"

namespace pep3156 {

namespace {
/// The interface index of an IPv6 zone: a name ("eth0") or a number ("2").
std::uint32_t scope_index(const std::string& scope, std::string_view numeric_host) {
  if (unsigned index = ::if_nametoindex(scope.c_str()); index != 0) return index;
  if (!scope.empty() && scope.size() <= 9 && scope.find_first_not_of("0123456789") == std::string::npos) {
    return static_cast<std::uint32_t>(std::stoul(scope));
  }
  throw ValueError("unknown IPv6 scope in '" + std::string(numeric_host) + "'");
}
}  // namespace

SocketAddress::SocketAddress() noexcept : storage_{}, length_(0) { storage_.ss_family = AF_UNSPEC; }

SocketAddress::SocketAddress(std::string_view numeric_host, std::uint16_t port) : SocketAddress() {
  std::string host(numeric_host);
  std::optional<std::string> scope;  // after '%': IPv6 only
  if (auto percent = host.find('%'); percent != std::string::npos) {
    scope = host.substr(percent + 1);
    host.resize(percent);
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage_);
  if (!scope && ::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length_ = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    if (scope) v6->sin6_scope_id = scope_index(*scope, numeric_host);
    length_ = sizeof(sockaddr_in6);
  } else {
    throw ValueError("not a numeric IPv4 or IPv6 address: '" + std::string(numeric_host) + "'");
  }
}

SocketAddress::SocketAddress(const sockaddr* address, socklen_t length) : SocketAddress() {
  // As a size: socklen_t is signed on Windows (a negative one wraps to a
  // size too large).
  const auto size = static_cast<std::size_t>(length);
  if (address == nullptr || size > sizeof(storage_) || size < sizeof(address->sa_family)) {
    throw ValueError("socket address of invalid length");
  }
  switch (address->sa_family) {
    case AF_INET:
      if (size < sizeof(sockaddr_in)) throw ValueError("short IPv4 socket address");
      break;
    case AF_INET6:
      if (size < sizeof(sockaddr_in6)) throw ValueError("short IPv6 socket address");
      break;
    case AF_UNIX:
      break;
    default:
      throw ValueError("unsupported address family " + std::to_string(address->sa_family));
  }
  std::memcpy(&storage_, address, size);
  length_ = length;
}

SocketAddress SocketAddress::unix_path(std::string_view path) {
  sockaddr_un un{};
  if (path.size() >= sizeof(un.sun_path)) throw ValueError("UNIX socket path too long");
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  return SocketAddress(reinterpret_cast<const sockaddr*>(&un),
                       static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1));
}

std::string SocketAddress::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case AF_INET:
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
      return text;
    case AF_INET6:
      ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
      return text;
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
      const auto length = static_cast<std::size_t>(length_);
      std::size_t max =
          length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
      return std::string(un->sun_path, ::strnlen(un->sun_path, max));
    }
    default:
      return {};
  }
}

std::uint16_t SocketAddress::port() const noexcept {
  switch (family()) {
    case AF_INET:
      return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6:
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default:
      return 0;
  }
}

std::uint32_t SocketAddress::flowinfo() const noexcept {
  return family() == AF_INET6 ? ntohl(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_flowinfo) : 0;
}

std::uint32_t SocketAddress::scope_id() const noexcept {
  return family() == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_scope_id : 0;
}

std::string SocketAddress::to_string() const {
  switch (family()) {
    case AF_INET:
      return host() + ":" + std::to_string(port());
    case AF_INET6:
      // Appended, not "[" + host(): GCC 12 at -O3 warns that operator+'s
      // insert at the front may overlap itself (-Wrestrict, a false positive).
      return std::string("[").append(host()).append("]:").append(std::to_string(port()));
    case AF_UNIX:
      return host();
    default:
      return "<no address>";
  }
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
  if (a.family() != b.family()) return false;
  switch (a.family()) {
    case AF_INET:
    case AF_INET6:
      return a.port() == b.port() && a.host() == b.host() && a.scope_id() == b.scope_id();
    default:
      return a.length_ == b.length_ && std::memcmp(&a.storage_, &b.storage_, a.length_) == 0;
  }
}

void Socket::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) close_socket(fd_);
  fd_ = fd;
}

SocketAddress Socket::local_address() const {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw_socket_error("getsockname");
  return SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}

SocketAddress Socket::peer_address() const {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw_socket_error("getpeername");
  return SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}

}  // namespace pep3156
