// create_connection()'s local_addr=: binding the socket before connect().
#pragma once

#include <vector>

#include "pep3156/address.hpp"

namespace pep3156::reference::net {

/// Binds `sock` to the first of `locals` of its family that works
/// (LOOP-CONN-LOCAL-ADDR): the last bind() failure, or EADDRNOTAVAIL if
/// none is of the family.
void bind_local(const Socket& sock, int family, const std::vector<AddrInfo>& locals);

/// A new non-blocking stream socket for `remote`, bound with bind_local()
/// unless `locals` is empty; not connected yet.
Socket connection_socket(const AddrInfo& remote, const std::vector<AddrInfo>& locals);

}  // namespace pep3156::reference::net
