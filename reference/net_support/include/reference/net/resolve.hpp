// Resolving a create_*() method's host and port through the loop's own
// getaddrinfo().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// loop.getaddrinfo(host, port); std::system_error (EAI_NONAME) if nothing
/// comes back.
Coroutine<std::vector<AddrInfo>> resolve(AbstractEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options);

/// What create_connection() connects to and from.
struct ConnectionAddresses {
  std::vector<AddrInfo> remotes;
  std::vector<AddrInfo> locals;  // empty without local_addr=
};

/// Resolves host and port, and local_addr= if given, with the options'
/// family, proto and flags (LOOP-CONN-GAI-OPTIONS: the type is always
/// SOCK_STREAM).
Coroutine<ConnectionAddresses> resolve_connection(AbstractEventLoop& loop, std::string host,
                                                  std::uint16_t port, ConnectionOptions options);

}  // namespace pep3156::reference::net
