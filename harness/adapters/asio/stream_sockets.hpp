// What the loop's stream methods share: Asio sockets from addresses and
// from descriptors (the caller's, or ones pep3156_net_support set up),
// connecting as a Future, and the protocol with its transport (and TLS
// layer) once connection_made() has returned.
#pragma once

#include <sys/socket.h>

#include <optional>
#include <string>

#include "asio_event_loop.hpp"
#include "reference/net/socket_ops.hpp"
#include "reference/tls/tls_options.hpp"
#include "stream_transport.hpp"

namespace loopcert_asio {

/// An Asio endpoint for `address` (IPv4, IPv6 or UNIX).
asio::generic::stream_protocol::endpoint stream_endpoint(const pep3156::SocketAddress& address);

/// `sock` as an Asio socket or acceptor (AsioSocket) of the loop: Asio
/// owns the descriptor from then on. std::system_error if Asio refuses it
/// (`sock` then closes it).
template <class AsioSocket>
AsioSocket adopt(AsioEventLoop& loop, pep3156::Socket sock) {
  using pep3156::reference::net::socket_option;
  AsioSocket socket(loop.context());
  asio::generic::stream_protocol protocol(socket_option(sock.fd(), SO_DOMAIN),
                                          socket_option(sock.fd(), SO_PROTOCOL));
  socket.assign(protocol, sock.fd());
  sock.release();
  return socket;
}

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
