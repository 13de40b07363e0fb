// Host lookups on Asio's resolver (asio::ip::tcp::resolver and
// udp::resolver: getaddrinfo() on Asio's private resolver thread), with
// the outcome delivered as a Future on the loop.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "asio_event_loop.hpp"

namespace loopcert_asio {

/// getaddrinfo(host, port) for `Protocol`'s socket type (asio::ip::tcp:
/// SOCK_STREAM, asio::ip::udp: SOCK_DGRAM), restricted to `family`
/// (AF_UNSPEC, AF_INET, AF_INET6) and `proto` (0: any), with
/// getaddrinfo()'s `flags`. An empty
/// host means None. Fails with std::system_error in gai_category() if
/// nothing comes back.
template <class Protocol>
pep3156::Future<std::vector<pep3156::AddrInfo>> resolve(AsioEventLoop& loop, const std::string& host,
                                                        std::uint16_t port, int family, int proto, int flags);

extern template pep3156::Future<std::vector<pep3156::AddrInfo>> resolve<asio::ip::tcp>(AsioEventLoop&,
                                                                                       const std::string&,
                                                                                       std::uint16_t, int,
                                                                                       int, int);
extern template pep3156::Future<std::vector<pep3156::AddrInfo>> resolve<asio::ip::udp>(AsioEventLoop&,
                                                                                       const std::string&,
                                                                                       std::uint16_t, int,
                                                                                       int, int);

}  // namespace loopcert_asio
