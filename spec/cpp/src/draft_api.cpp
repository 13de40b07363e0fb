// The seed draft's serving API, start_serving() and stop_serving(), over
// the final PEP's create_server() (PEP 3156 draft of 2013-04-26).
//
// The draft returns "a list of one or more sockets in listening mode" and
// stops serving one socket at a time, so each socket gets a Server of its
// own: start_serving() binds every address itself and passes each socket to
// create_server(sock=...).
#include <algorithm>

#include "pep3156/event_loop.hpp"
#include "pep3156/socket_api.hpp"

namespace pep3156 {

namespace {
Socket bind_listening_socket(const AddrInfo& info, const ServerOptions& options) {
  Socket sock(open_stream_socket(info.family, info.protocol));
  if (!sock) throw_socket_error("socket");
  int on = 1;
  // Through a char pointer: Winsock's setsockopt() takes one.
  const auto* on_value = reinterpret_cast<const char*>(&on);
  if (options.reuse_address && ::setsockopt(sock.fd(), SOL_SOCKET, SO_REUSEADDR, on_value, sizeof on) != 0) {
    throw_socket_error("setsockopt(SO_REUSEADDR)");
  }
  // One socket per family: an IPv6 socket must not also claim IPv4.
  if (info.family == AF_INET6 &&
      ::setsockopt(sock.fd(), IPPROTO_IPV6, IPV6_V6ONLY, on_value, sizeof on) != 0) {
    throw_socket_error("setsockopt(IPV6_V6ONLY)");
  }
  if (::bind(sock.fd(), info.address.data(), info.address.size()) != 0) {
    throw_socket_error(("bind(" + info.address.to_string() + ")").c_str());
  }
  if (::listen(sock.fd(), options.backlog) != 0) throw_socket_error("listen");
  return sock;
}
}  // namespace

Future<std::vector<ListeningSocket>> AbstractEventLoop::start_serving(ProtocolFactory factory,
                                                                      std::string host, std::uint16_t port,
                                                                      ServerOptions options) {
  auto serve = [](AbstractEventLoop& loop, ProtocolFactory factory, std::string host, std::uint16_t port,
                  ServerOptions options) -> Coroutine<std::vector<ListeningSocket>> {
    auto infos = co_await loop.getaddrinfo(
        host, std::to_string(port), {.family = options.family, .type = SOCK_STREAM, .flags = options.flags});
    std::vector<ListeningSocket> listening;
    for (const auto& info : infos) {
      ServerOptions per_socket{.ssl = options.ssl,
                               .backlog = options.backlog,
                               .reuse_address = options.reuse_address,
                               .family = options.family,
                               .flags = options.flags,
                               .sock = bind_listening_socket(info, options)};
      auto server = co_await loop.create_server(factory, "", 0, std::move(per_socket));
      for (auto& s : server->sockets()) listening.push_back(s);
      loop.draft_servers_.push_back(std::move(server));
    }
    co_return listening;
  };
  return create_task(serve(*this, std::move(factory), std::move(host), port, std::move(options)));
}

void AbstractEventLoop::stop_serving(int listening_fd) {
  auto owns = [listening_fd](const std::shared_ptr<Server>& server) {
    auto sockets = server->sockets();
    return std::any_of(sockets.begin(), sockets.end(), [&](const auto& s) { return s.fd == listening_fd; });
  };
  auto it = std::find_if(draft_servers_.begin(), draft_servers_.end(), owns);
  if (it == draft_servers_.end())
    throw ValueError("stop_serving(): not a socket returned by start_serving()");
  (*it)->close();
  draft_servers_.erase(it);
}

}  // namespace pep3156
