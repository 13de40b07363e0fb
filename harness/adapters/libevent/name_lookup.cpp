// getaddrinfo() on libevent's own resolver: evdns_getaddrinfo() on an
// evdns_base of the loop's (PEP 3156: "other implementations may choose to
// implement their own DNS lookup", LOOP-GAI-OWN-RESOLVER). It answers
// numeric hosts and /etc/hosts at once and asks the nameservers of
// /etc/resolv.conf otherwise, without a thread. The evdns_base is made on
// the first lookup (it opens a UDP socket per nameserver) and freed by
// close(), which cancels what is still pending. getnameinfo() stays the
// default (the executor): evdns has no getnameinfo.
#include <event2/dns.h>
#include <netdb.h>

#include <system_error>

#include "libevent_event_loop.hpp"

namespace pep3156::libevent_adapter {

namespace {

/// One lookup: what evdns calls back with, and what a cancelled Future
/// cancels. Shared by the evdns callback and the Future's done callback.
struct Lookup {
  LibeventEventLoop* loop;
  Future<std::vector<AddrInfo>> result;
  std::string what;
  evdns_getaddrinfo_request* request = nullptr;  // while evdns has it
};

/// The port every row of one lookup has (one service): the first that is
/// not 0, or 0.
std::uint16_t port_of(const evutil_addrinfo* list) {
  for (const evutil_addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    std::uint16_t port = SocketAddress(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen)).port();
    if (port != 0) return port;
  }
  return 0;
}

std::vector<AddrInfo> rows_of(const evutil_addrinfo* list) {
  // libevent 2.1 bug: a name found in /etc/hosts, asked for with no socket
  // type, gives a TCP and a UDP row per address, and only the first has
  // the port (evdns.c, evdns_getaddrinfo_fromhosts(): sockaddr_setport()
  // on the head of what evutil_new_addrinfo_() returned). Every row gets
  // the lookup's port.
  std::uint16_t port = port_of(list);
  std::vector<AddrInfo> rows;
  for (const evutil_addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SocketAddress address(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen));
    if (address.port() != port) address = SocketAddress(address.host(), port);
    rows.push_back(AddrInfo{ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                            ai->ai_canonname ? ai->ai_canonname : "", std::move(address)});
  }
  return rows;
}

/// The Future's outcome for evdns's or evutil's answer.
void settle(Future<std::vector<AddrInfo>>& result, int error, const evutil_addrinfo* list,
            const std::string& what) {
  if (error == 0) {
    result.set_result(rows_of(list));
  } else if (error == EVUTIL_EAI_SYSTEM) {
    result.set_exception(std::make_exception_ptr(std::system_error(errno, std::generic_category(), what)));
  } else {
    result.set_exception(std::make_exception_ptr(std::system_error(error, gai_category(), what)));
  }
}

void on_resolved(int error, evutil_addrinfo* list, void* lookup) {
  // Ours from here: evdns_getaddrinfo() handed the pointer over.
  std::unique_ptr<std::shared_ptr<Lookup>> owned(static_cast<std::shared_ptr<Lookup>*>(lookup));
  Lookup& done = **owned;
  done.request = nullptr;
  std::unique_ptr<evutil_addrinfo, void (*)(evutil_addrinfo*)> rows(list, evutil_freeaddrinfo);
  // Cancelled (its Future was, or the loop is closing): nobody waits.
  if (error == EVUTIL_EAI_CANCEL || done.result.done() || done.loop->is_closed()) return;
  settle(done.result, error, list, done.what);
}

}  // namespace

Future<std::vector<AddrInfo>> LibeventEventLoop::getaddrinfo(std::string host, std::string port,
                                                             GetAddrInfoOptions options) {
  check_open("getaddrinfo()");
  std::string what = "getaddrinfo(" + host + ", " + port + ")";
  const char* node = host.empty() ? nullptr : host.c_str();
  const char* service = port.empty() ? nullptr : port.c_str();
  evutil_addrinfo hints{};
  hints.ai_family = options.family;
  hints.ai_socktype = options.type;
  hints.ai_protocol = options.proto;
  hints.ai_flags = options.flags;  // EVUTIL_AI_* are the system's AI_* here
  {
    // A numeric host (or none) needs no resolver: evutil_getaddrinfo()
    // answers it at once, and no nameserver socket is opened for it.
    evutil_addrinfo numeric = hints;
    numeric.ai_flags |= EVUTIL_AI_NUMERICHOST;
    evutil_addrinfo* list = nullptr;
    int error = evutil_getaddrinfo(node, service, &numeric, &list);
    std::unique_ptr<evutil_addrinfo, void (*)(evutil_addrinfo*)> rows(list, evutil_freeaddrinfo);
    if (error != EVUTIL_EAI_NONAME || node == nullptr || (options.flags & AI_NUMERICHOST)) {
      auto answer = create_future<std::vector<AddrInfo>>();
      settle(answer, error, list, what);
      return answer;
    }
  }
  if (!dns_) {
    dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!dns_) throw RuntimeError("libevent: evdns_base_new() failed");
  }
  auto lookup = std::make_shared<Lookup>(Lookup{this, create_future<std::vector<AddrInfo>>(), what});
  auto* handed_over = new std::shared_ptr<Lookup>(lookup);
  // The callback may run before this returns (/etc/hosts).
  evdns_getaddrinfo_request* request =
      evdns_getaddrinfo(dns_, node, service, &hints, &on_resolved, handed_over);
  if (request != nullptr && !lookup->result.done()) lookup->request = request;
  lookup->result.state()->add_done_callback([lookup](const FuturePtr&) {
    if (lookup->request != nullptr) evdns_getaddrinfo_cancel(std::exchange(lookup->request, nullptr));
  });
  return lookup->result;
}

}  // namespace pep3156::libevent_adapter
