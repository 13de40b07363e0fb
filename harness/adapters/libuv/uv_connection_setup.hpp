// What the libuv adapter's create_*() methods share: resolving through the
// loop, the argument checks and trying every address (from
// pep3156_net_support), adopting a caller's socket into a libuv handle,
// and starting a connection's transport (with TLS when asked).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "reference/net/caller_arguments.hpp"
#include "reference/net/connection_made.hpp"
#include "reference/net/failed_attempts.hpp"
#include "reference/net/make_protocol.hpp"
#include "reference/net/resolve.hpp"
#include "reference/tls/tls_options.hpp"
#include "uv_event_loop.hpp"
#include "uv_stream_transport.hpp"

namespace loopcert_libuv {

using pep3156::reference::net::check_family;
using pep3156::reference::net::connection_made;
using pep3156::reference::net::FailedAttempts;
using pep3156::reference::net::make_protocol;
using pep3156::reference::net::resolve;
using pep3156::reference::net::take_caller_socket;

/// A fresh uv_tcp_t (of `family`, or none yet) or uv_pipe_t.
UvStreamPtr tcp_handle(UvEventLoop& loop, int family = AF_UNSPEC);
UvStreamPtr pipe_handle(UvEventLoop& loop);

/// A stream socket in a libuv handle: uv_tcp_open(), or uv_pipe_open() for
/// the UNIX domain (both make it non-blocking).
UvStreamPtr stream_on(UvEventLoop& loop, Socket sock);
bool is_unix_socket(int fd);

/// A connected stream with a transport and a new protocol on it, once
/// connection_made() has returned; with `tls`, the TLS layer between them,
/// and connection_made() after the handshake.
Coroutine<StreamConnection> start_connection(UvEventLoop& loop, UvStreamPtr stream, ProtocolFactory factory,
                                             std::optional<reference::tls::ClientTls> tls);

}  // namespace loopcert_libuv
