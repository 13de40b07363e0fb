// What create_connection(), create_server() and their UNIX-domain twins do
// with their TLS options (PEP 3156, "Internet connections"): the checks
// the PEP and the decisions ask for, and the TLS layer to stack on a
// connection's stream transport.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "pep3156/event_loop.hpp"
#include "reference/tls/ssl_transport.hpp"

namespace pep3156::reference::tls {

/// ssl_handshake_timeout's default (asyncio's).
inline constexpr double kDefaultHandshakeTimeout = 60.0;

/// A client's TLS settings.
struct ClientTls {
  std::shared_ptr<SSLContext> context;
  std::string server_hostname;
  double handshake_timeout;

  /// The TLS layer for one connection: the protocol to give its stream
  /// transport. `handshake_waiter` (a Future<void>) completes once the
  /// handshake succeeded and `application` has had connection_made().
  std::shared_ptr<SSLTransport> layer(AbstractEventLoop& loop, std::shared_ptr<Protocol> application,
                                      FuturePtr handshake_waiter) const;
};

/// create_connection()'s TLS settings, or nullopt for plain TCP. `host` is
/// the host asked for ("" with sock= and for UNIX-domain sockets). Throws
/// ValueError (from the call, D-TIER-3) for server_hostname or
/// ssl_handshake_timeout without ssl (D-NET-3), a timeout that is not
/// positive, and no name to check when the context checks hostnames
/// (LOOP-CONN-SERVER-HOSTNAME: with an empty host "you must pass a value
/// for server_hostname"; an empty server_hostname is only for contexts
/// that check nothing).
std::optional<ClientTls> client_tls(const ConnectionOptions& options, const std::string& host,
                                    const std::string& method);

/// A server's TLS settings.
struct ServerTls {
  std::shared_ptr<SSLContext> context;
  double handshake_timeout;

  /// The TLS layer for one accepted connection. A failed handshake goes to
  /// the loop's exception handler, and `application` never hears of it.
  std::shared_ptr<SSLTransport> layer(AbstractEventLoop& loop, std::shared_ptr<Protocol> application) const;
};

/// create_server()'s TLS settings, or nullopt for plain TCP. ValueError
/// for ssl_handshake_timeout without ssl or not positive.
std::optional<ServerTls> server_tls(const ServerOptions& options, const std::string& method);

}  // namespace pep3156::reference::tls
