#include "reference/net/name_lookup.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <system_error>

#include "connection_setup.hpp"

namespace pep3156::reference::net {

namespace {

/// The blocking lookup; throws std::system_error (gai_category(), or errno
/// for EAI_SYSTEM).
std::vector<AddrInfo> resolve(const std::string& host, const std::string& port,
                              const GetAddrInfoOptions& options) {
  addrinfo hints{};
  hints.ai_family = options.family;
  hints.ai_socktype = options.type;
  hints.ai_protocol = options.proto;
  hints.ai_flags = options.flags;
  addrinfo* rows = nullptr;
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.empty() ? nullptr : port.c_str(), &hints,
                         &rows);
  if (rc == EAI_SYSTEM) throw_errno("getaddrinfo");
  if (rc != 0) throw std::system_error(rc, gai_category(), "getaddrinfo(" + host + ", " + port + ")");
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(rows, &::freeaddrinfo);
  std::vector<AddrInfo> result;
  for (addrinfo* row = rows; row != nullptr; row = row->ai_next) {
    if (row->ai_family != AF_INET && row->ai_family != AF_INET6) continue;
    result.push_back(AddrInfo{row->ai_family, row->ai_socktype, row->ai_protocol,
                              row->ai_canonname != nullptr ? row->ai_canonname : "",
                              SocketAddress(row->ai_addr, row->ai_addrlen)});
  }
  return result;
}

}  // namespace

Future<std::vector<AddrInfo>> getaddrinfo(AbstractEventLoop& loop, std::string host, std::string port,
                                          GetAddrInfoOptions options) {
  // Argument errors are thrown here (decision D-TIER-3).
  if (loop.is_closed()) throw RuntimeError("getaddrinfo(): the event loop is closed");
  check_family(options.family, "getaddrinfo()");
  auto result = loop.create_future<std::vector<AddrInfo>>();
  GetAddrInfoOptions numeric_only = options;
  numeric_only.flags |= AI_NUMERICHOST | AI_NUMERICSERV;
  try {
    result.set_result(resolve(host, port, numeric_only));
    return result;
  } catch (const std::system_error&) {
    // A name, or an error the full lookup reports itself.
  }
  return loop.run_in_executor(nullptr, [host = std::move(host), port = std::move(port), options] {
    return resolve(host, port, options);
  });
}

}  // namespace pep3156::reference::net
