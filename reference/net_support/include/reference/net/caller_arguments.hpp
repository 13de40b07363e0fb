// The argument checks every create_*() method makes before it starts
// (decision D-TIER-3: argument errors are raised at the call).
#pragma once

#include <optional>

#include "pep3156/address.hpp"

namespace pep3156::reference::net {

/// ValueError unless `family` is AF_UNSPEC, AF_INET or AF_INET6
/// (LOOP-GAI-FAMILY-VALUES).
void check_family(int family, const char* method);

/// The caller's `sock=`, taken over and made non-blocking: ValueError if an
/// address was given too (decision D-NET-2) or unless it is a stream socket
/// (of `family`, unless 0).
Socket take_caller_socket(std::optional<Socket>& sock, bool address_given, int family, const char* method);

}  // namespace pep3156::reference::net
