// What the libevent loop's networking methods share: raw socket calls the
// library has no wrapper for (socket(), bind(), options), errors as the
// PEP's exceptions, reports to the exception handler, and resolving a name
// through the loop's getaddrinfo() (evdns).
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "pep3156/event_loop.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/sigpipe_guard.hpp"

namespace pep3156::libevent_adapter {

using reference::net::check_family;
using reference::net::take_caller_socket;
/// Writes to a pipe or socket whose reader is gone fail with EPIPE instead
/// of killing the process.
using reference::net::SigpipeGuard;

/// std::system_error for `err` (an errno value), naming `what`.
std::exception_ptr os_error(int err, const std::string& what);
[[noreturn]] void throw_os_error(int err, const std::string& what);

/// A non-blocking, close-on-exec socket (std::system_error if refused).
Socket open_socket(int family, int type, int protocol);
void bind_to(int fd, const SocketAddress& address);
int socket_option(int fd, int option);
/// ValueError unless `fd` is in non-blocking mode (the sock_*() methods
/// never change a caller's descriptor).
void require_nonblocking(int fd, const char* method);
void set_nonblocking(int fd);

/// To the loop's exception handler (a protocol's exception, an accept()
/// failure), with whatever context is known.
void report_error(AbstractEventLoop& loop, const std::string& message, std::exception_ptr error,
                  std::shared_ptr<BaseTransport> transport = nullptr,
                  std::shared_ptr<BaseProtocol> protocol = nullptr, int socket = -1);

/// factory(), TypeError if it makes nothing.
template <class P>
std::shared_ptr<P> make_protocol(const Factory<P>& factory) {
  std::shared_ptr<P> protocol = factory();
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  return protocol;
}

/// loop.getaddrinfo(), std::system_error (EAI_NONAME) if nothing came back.
Coroutine<std::vector<AddrInfo>> resolve(AbstractEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options);

/// Why each address tried failed: raise() rethrows the only failure as it
/// was, or a std::system_error with the first errno naming them all.
class FailedAttempts {
 public:
  void add(const SocketAddress& address, std::exception_ptr error);
  [[noreturn]] void raise(const std::string& what) const;

 private:
  std::vector<std::exception_ptr> errors_;
  std::string summary_;
  std::error_code first_code_;
};

}  // namespace pep3156::libevent_adapter
