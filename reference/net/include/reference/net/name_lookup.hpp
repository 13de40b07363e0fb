// Internet name lookups (PEP 3156, "Internet name lookups") that never
// block the loop.
//
// A numeric host ("127.0.0.1", "::1", or none) with a numeric port needs no
// name service: it is resolved at once with AI_NUMERICHOST | AI_NUMERICSERV,
// which never blocks. Anything else runs the blocking getaddrinfo() in the
// loop's default executor, as the PEP's default implementation does
// (LOOP-GAI-NONBLOCKING, LOOP-GAI-OWN-RESOLVER).
#pragma once

#include <string>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// Python's socket.getaddrinfo() 5-tuples, IPv4 and IPv6 rows only
/// (LOOP-GAI-FUTURE-LIST). ValueError for a family other than AF_UNSPEC,
/// AF_INET and AF_INET6 (LOOP-GAI-FAMILY-VALUES); std::system_error in
/// gai_category() for a failed lookup.
Future<std::vector<AddrInfo>> getaddrinfo(AbstractEventLoop& loop, std::string host, std::string port,
                                          GetAddrInfoOptions options);

}  // namespace pep3156::reference::net
