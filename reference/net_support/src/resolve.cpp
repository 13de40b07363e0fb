#include "reference/net/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <system_error>

namespace pep3156::reference::net {

Coroutine<std::vector<AddrInfo>> resolve(AbstractEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options) {
  auto infos = co_await loop.getaddrinfo(host, std::to_string(port), options);
  if (infos.empty()) {
    throw std::system_error(EAI_NONAME, gai_category(),
                            "getaddrinfo(" + host + ", " + std::to_string(port) + ") returned nothing");
  }
  co_return infos;
}

Coroutine<ConnectionAddresses> resolve_connection(AbstractEventLoop& loop, std::string host,
                                                  std::uint16_t port, ConnectionOptions options) {
  GetAddrInfoOptions lookup{options.family, SOCK_STREAM, options.proto, options.flags};
  ConnectionAddresses addresses;
  addresses.remotes = co_await resolve(loop, host, port, lookup);
  if (options.local_addr) {
    addresses.locals = co_await resolve(loop, options.local_addr->host, options.local_addr->port, lookup);
  }
  co_return addresses;
}

}  // namespace pep3156::reference::net
