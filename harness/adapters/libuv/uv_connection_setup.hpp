// What the libuv adapter's create_*() methods share: resolving through the
// loop, trying every address, adopting a caller's socket into a libuv
// handle, and starting a connection's transport (with TLS when asked).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "reference/net/caller_arguments.hpp"
#include "reference/net/connection_made.hpp"
#include "reference/tls/tls_options.hpp"
#include "uv_event_loop.hpp"
#include "uv_stream_transport.hpp"

namespace loopcert_libuv {

using pep3156::reference::net::check_family;
using pep3156::reference::net::connection_made;
using pep3156::reference::net::take_caller_socket;

/// Why each address tried failed, to report them all if none succeeded.
class FailedAttempts {
 public:
  void add(const SocketAddress& address, std::exception_ptr error);
  /// The only failure as it was, or std::system_error with the first
  /// failure's code and a message naming every address and its failure.
  [[noreturn]] void raise(const std::string& what) const;

 private:
  std::vector<std::pair<std::string, std::exception_ptr>> failures_;
  std::error_code first_code_;
};

/// getaddrinfo() through the loop; std::system_error if nothing comes back.
Coroutine<std::vector<AddrInfo>> resolve(UvEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options);

/// A fresh uv_tcp_t (of `family`, or none yet) or uv_pipe_t.
UvStreamPtr tcp_handle(UvEventLoop& loop, int family = AF_UNSPEC);
UvStreamPtr pipe_handle(UvEventLoop& loop);

/// A stream socket in a libuv handle: uv_tcp_open(), or uv_pipe_open() for
/// the UNIX domain (both make it non-blocking).
UvStreamPtr stream_on(UvEventLoop& loop, Socket sock);
bool is_unix_socket(int fd);

/// factory(), TypeError if it makes nothing.
template <class P>
std::shared_ptr<P> make_protocol(const Factory<P>& factory) {
  std::shared_ptr<P> protocol = factory();
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  return protocol;
}

/// A connected stream with a transport and a new protocol on it, once
/// connection_made() has returned; with `tls`, the TLS layer between them,
/// and connection_made() after the handshake.
Coroutine<StreamConnection> start_connection(UvEventLoop& loop, UvStreamPtr stream, ProtocolFactory factory,
                                             std::optional<reference::tls::ClientTls> tls);

}  // namespace loopcert_libuv
