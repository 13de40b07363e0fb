// What the loop's stream methods share: Asio sockets from addresses and
// from the caller's descriptors, connecting as a Future, and the protocol
// with its transport (and TLS layer) once connection_made() has returned.
#pragma once

#include <optional>
#include <string>

#include "asio_event_loop.hpp"
#include "reference/tls/tls_options.hpp"
#include "stream_transport.hpp"

namespace loopcert_asio {

/// An Asio endpoint for `address` (IPv4, IPv6 or UNIX).
asio::generic::stream_protocol::endpoint stream_endpoint(const pep3156::SocketAddress& address);

/// The caller's `sock=` as an Asio socket (ownership passes to it):
/// ValueError if an address was given too (D-NET-2) or unless it is a
/// stream socket (of `family`, unless 0).
StreamSocket take_caller_socket(AsioEventLoop& loop, std::optional<pep3156::Socket>& sock, bool address_given,
                                int family, const char* method);

/// ValueError unless AF_UNSPEC, AF_INET or AF_INET6 (LOOP-GAI-FAMILY-VALUES).
void check_family(int family, const char* method);

/// socket.connect() on Asio's async_connect(); std::system_error on failure.
pep3156::Future<void> connect(AsioEventLoop& loop, StreamSocket& socket,
                              const pep3156::SocketAddress& address);

/// A StreamTransport and a new protocol on a connected socket, once
/// connection_made() has returned; with `tls`, the TLS layer is the stream
/// transport's protocol and the new protocol's transport, and
/// connection_made() comes after the handshake (D-NET-1).
pep3156::Coroutine<pep3156::StreamConnection> start_stream(
    AsioEventLoop& loop, StreamSocket socket, pep3156::ProtocolFactory factory,
    std::optional<pep3156::reference::tls::ClientTls> tls);

}  // namespace loopcert_asio
