#include "reference/net/name_lookup.hpp"

#include <netdb.h>

#include <system_error>

#include "connection_setup.hpp"

namespace pep3156::reference::net {

Future<std::vector<AddrInfo>> getaddrinfo(AbstractEventLoop& loop, std::string host, std::string port,
                                          GetAddrInfoOptions options) {
  // Argument errors are thrown here (decision D-TIER-3).
  if (loop.is_closed()) throw RuntimeError("getaddrinfo(): the event loop is closed");
  check_family(options.family, "getaddrinfo()");
  auto result = loop.create_future<std::vector<AddrInfo>>();
  GetAddrInfoOptions numeric_only = options;
  numeric_only.flags |= AI_NUMERICHOST | AI_NUMERICSERV;
  try {
    result.set_result(getaddrinfo_blocking(host, port, numeric_only));
    return result;
  } catch (const std::system_error&) {
    // A name, or an error the full lookup reports itself.
  }
  // A name: the PEP's default implementation, in the executor.
  return loop.AbstractEventLoop::getaddrinfo(std::move(host), std::move(port), options);
}

}  // namespace pep3156::reference::net
