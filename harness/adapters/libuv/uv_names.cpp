// getaddrinfo() on uv_getaddrinfo(): libuv runs the lookup on its thread
// pool and calls back on the loop's thread.
#include <netdb.h>

#include <array>
#include <utility>

#include "pep3156/errors.hpp"
#include "uv_event_loop.hpp"
#include "uv_handle.hpp"

namespace loopcert_libuv {

namespace {

/// libuv turns getaddrinfo()'s EAI_* codes into its own UV_EAI_*
/// (uv__getaddrinfo_translate_error(), src/unix/getaddrinfo.c); the
/// contract's error is the EAI_* code in gai_category(), or errno.
std::system_error lookup_error(int status, const std::string& what) {
  static constexpr std::array<std::pair<int, int>, 11> kCodes{{
      {UV_EAI_ADDRFAMILY, EAI_ADDRFAMILY},
      {UV_EAI_AGAIN, EAI_AGAIN},
      {UV_EAI_BADFLAGS, EAI_BADFLAGS},
      {UV_EAI_FAIL, EAI_FAIL},
      {UV_EAI_FAMILY, EAI_FAMILY},
      {UV_EAI_MEMORY, EAI_MEMORY},
      {UV_EAI_NODATA, EAI_NODATA},
      {UV_EAI_NONAME, EAI_NONAME},
      {UV_EAI_OVERFLOW, EAI_OVERFLOW},
      {UV_EAI_SERVICE, EAI_SERVICE},
      {UV_EAI_SOCKTYPE, EAI_SOCKTYPE},
  }};
  for (auto [uv_code, eai_code] : kCodes) {
    if (uv_code == status) return std::system_error(eai_code, gai_category(), what);
  }
  return std::system_error(uv_error_code(status), what);
}

struct Lookup {
  uv_getaddrinfo_t request{};
  UvEventLoop* loop;
  Future<std::vector<AddrInfo>> result;
  std::string what;
};

void lookup_done(uv_getaddrinfo_t* request, int status, addrinfo* list) {
  std::unique_ptr<Lookup> lookup(static_cast<Lookup*>(request->data));
  std::vector<AddrInfo> infos;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;  // the contract's rows
    infos.push_back(AddrInfo{ai->ai_family, ai->ai_socktype, ai->ai_protocol,
                             ai->ai_canonname ? ai->ai_canonname : "",
                             SocketAddress(ai->ai_addr, ai->ai_addrlen)});
  }
  uv_freeaddrinfo(list);
  // Cancelled meanwhile, or the loop is closing: nobody waits.
  if (lookup->loop->is_closed() || lookup->result.done()) return;
  if (status < 0) {
    lookup->result.set_exception(std::make_exception_ptr(lookup_error(status, lookup->what)));
  } else {
    lookup->result.set_result(std::move(infos));
  }
  lookup->loop->end_wait();
}

}  // namespace

Future<std::vector<AddrInfo>> UvEventLoop::getaddrinfo(std::string host, std::string port,
                                                       GetAddrInfoOptions options) {
  check_open("getaddrinfo()");
  if (options.family != AF_UNSPEC && options.family != AF_INET && options.family != AF_INET6) {
    throw ValueError(
        "getaddrinfo(): family must be AF_UNSPEC, AF_INET or AF_INET6");  // LOOP-GAI-FAMILY-VALUES
  }
  addrinfo hints{};
  hints.ai_family = options.family;
  hints.ai_socktype = options.type;
  hints.ai_protocol = options.proto;
  hints.ai_flags = options.flags;
  auto lookup = std::make_unique<Lookup>();
  lookup->loop = this;
  lookup->result = create_future<std::vector<AddrInfo>>();
  lookup->what = "getaddrinfo(" + host + ", " + port + ")";
  lookup->request.data = lookup.get();
  Future<std::vector<AddrInfo>> result = lookup->result;
  // An empty host or port is None.
  int status = uv_getaddrinfo(&loop_, &lookup->request, &lookup_done, host.empty() ? nullptr : host.c_str(),
                              port.empty() ? nullptr : port.c_str(), &hints);
  if (status < 0) {
    result.set_exception(std::make_exception_ptr(lookup_error(status, lookup->what)));
    return result;
  }
  lookup.release();  // lookup_done() frees it
  return result;
}

}  // namespace loopcert_libuv
