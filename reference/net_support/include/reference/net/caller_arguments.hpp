// The argument checks every create_*() method makes before it starts
// (decision D-TIER-3: argument errors are raised at the call).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pep3156/address.hpp"
#include "pep3156/options.hpp"

namespace pep3156::reference::net {

/// ValueError unless `family` is AF_UNSPEC, AF_INET or AF_INET6
/// (LOOP-GAI-FAMILY-VALUES).
void check_family(int family, const char* method);

/// The caller's `sock=`, taken over and made non-blocking: ValueError if an
/// address was given too (decision D-NET-2) or unless it is a stream socket
/// (of `family`, unless 0).
Socket take_caller_socket(std::optional<Socket>& sock, bool address_given, int family, const char* method);

// Where each create_*() method works, checked: the caller's `sock=` taken
// over (take_caller_socket()), or nothing when the address says where.
// Each throws ValueError for what the method cannot use.

/// create_connection(): a bad family, host and port with sock, or neither
/// (LOOP-CONN-SOCK).
std::optional<Socket> take_connection_sock(const std::string& host, std::uint16_t port,
                                           ConnectionOptions& options);
/// create_unix_connection(): local_addr=, path with sock, neither, or a
/// path too long for a sockaddr_un.
std::optional<Socket> take_unix_connection_sock(const std::string& path, ConnectionOptions& options);
/// create_server(): a bad family, or host or port with sock
/// (LOOP-SERVER-SOCK). Neither is every interface.
std::optional<Socket> take_server_sock(const std::string& host, std::uint16_t port, ServerOptions& options);
/// create_unix_server(): path with sock, neither, or a path too long for a
/// sockaddr_un.
std::optional<Socket> take_unix_server_sock(const std::string& path, ServerOptions& options);

/// create_datagram_endpoint(): ValueError for a bad family, or unless a
/// family, local_addr or remote_addr says what socket to make.
void check_datagram_arguments(const DatagramOptions& options);

}  // namespace pep3156::reference::net
