// create_server()'s sockets: bound, one per address, before the server
// listens on them.
#pragma once

#include <vector>

#include "pep3156/address.hpp"

namespace pep3156::reference::net {

/// One socket per distinct address of `infos`, bound (with SO_REUSEADDR if
/// `reuse_address`, LOOP-SERVER-REUSE-ADDRESS; IPv6 ones IPV6_V6ONLY,
/// LOOP-SERVER-DUAL-STACK), not yet listening. A family the host cannot
/// open a socket for (no IPv6) is skipped; a failed bind() fails the whole.
std::vector<Socket> bind_listeners(const std::vector<AddrInfo>& infos, bool reuse_address);

}  // namespace pep3156::reference::net
