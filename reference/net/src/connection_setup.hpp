// What create_connection(), create_server(), create_datagram_endpoint()
// and the pipe and UNIX-domain methods share: resolving, trying every
// address, taking over a caller's socket, making the protocol and waiting
// for connection_made().
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "pep3156/event_loop.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/connection_made.hpp"

namespace pep3156::reference::net {

/// Why each address tried failed, to report them all if none succeeded.
class FailedAttempts {
 public:
  void add(const SocketAddress& address, std::exception_ptr error);
  /// The only failure as it was, or std::system_error with the first
  /// failure's errno and a message naming every address and its failure.
  [[noreturn]] void raise(const std::string& what) const;

 private:
  struct Failure {
    std::string text;
    std::exception_ptr error;
    std::error_code code;  // empty unless a std::system_error
  };
  std::vector<Failure> failures_;
};

/// getaddrinfo() through the loop; std::system_error if nothing comes back.
Coroutine<std::vector<AddrInfo>> resolve(AbstractEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options);

/// factory(), TypeError if it makes nothing.
template <class P>
std::shared_ptr<P> make_protocol(const Factory<P>& factory) {
  std::shared_ptr<P> protocol = factory();
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  return protocol;
}

/// The last step of every create_*() and connect_*_pipe(): makes the
/// protocol, starts its transport with `start(protocol, waiter)`, and
/// returns the (transport, protocol) pair once connection_made() has
/// returned.
template <class Result, class P, class Start>
Coroutine<Result> start_protocol(AbstractEventLoop& loop, Factory<P> factory, Start start) {
  std::shared_ptr<P> protocol = make_protocol(factory);
  auto waiter = loop.create_future<void>();
  auto transport = start(protocol, waiter);
  co_await connection_made(waiter, transport);
  co_return Result{transport, protocol};
}

}  // namespace pep3156::reference::net
