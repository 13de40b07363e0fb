#include "connection_setup.hpp"

#include <sys/socket.h>

#include <system_error>

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

void FailedAttempts::add(const SocketAddress& address, std::exception_ptr error) {
  Failure failure{"", std::move(error), {}};
  try {
    std::rethrow_exception(failure.error);
  } catch (const std::system_error& e) {
    failure.text = e.what();
    failure.code = e.code();
  } catch (const std::exception& e) {
    failure.text = e.what();
  }
  std::string name = address.to_string();
  if (failure.text.find(name) == std::string::npos) failure.text = name + ": " + failure.text;
  failures_.push_back(std::move(failure));
}

void FailedAttempts::raise(const std::string& what) const {
  if (failures_.size() == 1) std::rethrow_exception(failures_.front().error);
  std::error_code code;
  std::string message = what + ": every address failed:";
  for (const Failure& failure : failures_) {
    message += " [" + failure.text + "]";
    if (!code) code = failure.code;
  }
  if (!code) code = std::make_error_code(std::errc::io_error);
  throw std::system_error(code, message);
}

Coroutine<std::vector<AddrInfo>> resolve(AbstractEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options) {
  auto infos = co_await loop.getaddrinfo(host, std::to_string(port), options);
  if (infos.empty()) {
    throw std::system_error(EAI_NONAME, gai_category(),
                            "getaddrinfo(" + host + ", " + std::to_string(port) + ") returned nothing");
  }
  co_return infos;
}

Socket take_caller_socket(std::optional<Socket>& sock, bool address_given, int family, const char* method) {
  Socket taken = std::move(*sock);
  sock.reset();
  if (address_given) throw ValueError(std::string(method) + ": the address must be empty with sock");
  if (socket_option(taken.fd(), SO_TYPE) != SOCK_STREAM ||
      (family != 0 && socket_option(taken.fd(), SO_DOMAIN) != family)) {
    throw ValueError(std::string(method) + ": sock must be a stream socket" +
                     (family == AF_UNIX ? " of the UNIX domain" : ""));
  }
  set_nonblocking(taken.fd());
  return taken;
}

void check_family(int family, const char* method) {
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    throw ValueError(std::string(method) + ": family must be AF_UNSPEC, AF_INET or AF_INET6");
  }
}

Coroutine<void> connection_made(Future<void> waiter, std::shared_ptr<BaseTransport> transport) {
  try {
    co_await waiter;
  } catch (...) {
    transport->close();
    throw;
  }
}

}  // namespace pep3156::reference::net
