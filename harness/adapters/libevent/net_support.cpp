#include "net_support.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <system_error>

#include "pep3156/exception_context.hpp"

namespace pep3156::libevent_adapter {

std::exception_ptr os_error(int err, const std::string& what) {
  return std::make_exception_ptr(std::system_error(err, std::generic_category(), what));
}

void throw_os_error(int err, const std::string& what) { std::rethrow_exception(os_error(err, what)); }

Socket open_socket(int family, int type, int protocol) {
  Socket sock(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (!sock) throw_os_error(errno, "socket");
  return sock;
}

void bind_to(int fd, const SocketAddress& address) {
  if (::bind(fd, address.data(), address.size()) != 0)
    throw_os_error(errno, "bind(" + address.to_string() + ")");
}

int socket_option(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) throw_os_error(errno, "getsockopt");
  return value;
}

void require_nonblocking(int fd, const char* method) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_os_error(errno, method);
  if ((flags & O_NONBLOCK) == 0) {
    throw ValueError(std::string(method) + ": the descriptor must be in non-blocking mode");
  }
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw_os_error(errno, "fcntl(O_NONBLOCK)");
}

void report_error(AbstractEventLoop& loop, const std::string& message, std::exception_ptr error,
                  std::shared_ptr<BaseTransport> transport, std::shared_ptr<BaseProtocol> protocol,
                  int socket) {
  ExceptionContext context;
  context.message = message;
  context.exception = std::move(error);
  context.transport = std::move(transport);
  context.protocol = std::move(protocol);
  context.socket = socket;
  loop.call_exception_handler(context);
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

void FailedAttempts::add(const SocketAddress& address, std::exception_ptr error) {
  std::string text;
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    text = e.what();
    if (!first_code_) first_code_ = e.code();
  } catch (const std::exception& e) {
    text = e.what();
  }
  summary_ += " [" + address.to_string() + ": " + text + "]";
  errors_.push_back(std::move(error));
}

void FailedAttempts::raise(const std::string& what) const {
  if (errors_.size() == 1) std::rethrow_exception(errors_.front());
  std::error_code code = first_code_ ? first_code_ : std::make_error_code(std::errc::io_error);
  throw std::system_error(code, what + ": every address failed:" + summary_);
}

}  // namespace pep3156::libevent_adapter
