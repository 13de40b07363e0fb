#include "name_lookup.hpp"

#include <netdb.h>

#include "os_error.hpp"

namespace loopcert_asio {

template <class Protocol>
pep3156::Future<std::vector<pep3156::AddrInfo>> resolve(AsioEventLoop& loop, const std::string& host,
                                                        std::uint16_t port, int family, int proto,
                                                        int flags) {
  using Resolver = typename Protocol::resolver;
  auto lookup = loop.create_future<std::vector<pep3156::AddrInfo>>();
  std::string what = "getaddrinfo(" + host + ", " + std::to_string(port) + ")";
  // Asio's resolver takes the protocol from Protocol (IPPROTO_TCP for tcp,
  // IPPROTO_UDP for udp: ip/basic_resolver.hpp builds the hints from it),
  // so another `proto` cannot reach getaddrinfo(): answered as
  // getaddrinfo() answers a protocol the socket type does not have.
  if (proto != 0 && proto != Protocol::v4().protocol()) {
    lookup.set_exception(
        std::make_exception_ptr(std::system_error(EAI_SOCKTYPE, pep3156::gai_category(), what)));
    return lookup;
  }
  auto resolver = std::make_shared<Resolver>(loop.context());
  // The handler only completes the Future, whose callbacks go to the ready
  // queue. A lookup whose Future was cancelled finds it done and drops
  // the result.
  auto on_resolved = [resolver, lookup, what](const asio::error_code& error,
                                              const typename Resolver::results_type& results) {
    if (lookup.done()) return;
    if (error) {
      lookup.set_exception(std::make_exception_ptr(os_error(error, what)));
      return;
    }
    std::vector<pep3156::AddrInfo> infos;
    for (const auto& entry : results) {
      auto endpoint = entry.endpoint();
      pep3156::AddrInfo info;
      info.family = endpoint.protocol().family();
      info.type = endpoint.protocol().type();
      info.protocol = endpoint.protocol().protocol();
      info.address = pep3156::SocketAddress(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
      infos.push_back(std::move(info));
    }
    if (infos.empty()) {
      lookup.set_exception(
          std::make_exception_ptr(std::system_error(EAI_NONAME, pep3156::gai_category(), what)));
      return;
    }
    lookup.set_result(std::move(infos));
  };
  // The port is a number: AI_NUMERICSERV spares the services database.
  auto resolver_flags = static_cast<asio::ip::resolver_base::flags>(flags | AI_NUMERICSERV);
  std::string service = std::to_string(port);
  if (family == AF_INET) {
    resolver->async_resolve(Protocol::v4(), host, service, resolver_flags, std::move(on_resolved));
  } else if (family == AF_INET6) {
    resolver->async_resolve(Protocol::v6(), host, service, resolver_flags, std::move(on_resolved));
  } else {
    resolver->async_resolve(host, service, resolver_flags, std::move(on_resolved));
  }
  return lookup;
}

template pep3156::Future<std::vector<pep3156::AddrInfo>> resolve<asio::ip::tcp>(AsioEventLoop&,
                                                                                const std::string&,
                                                                                std::uint16_t, int, int, int);
template pep3156::Future<std::vector<pep3156::AddrInfo>> resolve<asio::ip::udp>(AsioEventLoop&,
                                                                                const std::string&,
                                                                                std::uint16_t, int, int, int);

}  // namespace loopcert_asio
