// Internet connections over TLS (PEP 3156, "Internet connections": the ssl
// and server_hostname options of create_connection(); decisions D-NET-1 and
// D-NET-5). The peer is a plain socket of the case's own when the case must
// see the bytes on the wire, and a TLS server of the loop under test
// otherwise.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/connection_support.hpp"
#include "conformance/net_support.hpp"

using namespace pep3156;
using namespace connection_support;
using net_support::attempt;
using net_support::close_connection;
using net_support::close_server;
using net_support::listen_on_loopback;
using net_support::Listener;
using net_support::RecordingFactory;
using net_support::RecordingProtocol;
using net_support::run_until;
using net_support::TestPki;
using net_support::UniqueFd;

namespace {

/// A TLS echo server of the loop under test on 127.0.0.1.
struct TlsServer {
  RecordingFactory accepted{.echo = true};
  std::shared_ptr<Server> server;
  std::uint16_t port = 0;
};
TlsServer serve_tls(conformance::Context& ctx, AbstractEventLoop& loop, std::shared_ptr<SSLContext> context) {
  TlsServer tls;
  tls.server = ctx.run_until_complete(
      loop, loop.create_server(tls.accepted.factory(), "127.0.0.1", 0, {.ssl = context}),
      "create_server(ssl=context)");
  tls.port = net_support::port_of(*tls.server);
  REQUIRE_THAT(tls.port != 0, "the TLS server listens on a port");
  return tls;
}

/// After a failed handshake the server's side of it is closed too; the case
/// waits for that (and for the server) before its descriptors are counted.
void close_after_failure(conformance::Context& ctx, AbstractEventLoop& loop, TlsServer& tls,
                         std::size_t sockets_before) {
  close_server(ctx, loop, tls.server, tls.accepted);
  run_until(
      ctx, loop, [&] { return net_support::inet_sockets() <= sockets_before; },
      "the server's side of the failed handshake to be closed");
}

/// Silences the server's report of a failed handshake (it may go to the
/// exception handler); nothing about it is asserted here.
void ignore_reports(AbstractEventLoop& loop) {
  loop.set_exception_handler([](AbstractEventLoop&, const ExceptionContext&) {});
}

/// A round trip through a TLS echo server.
void check_echo(conformance::Context& ctx, AbstractEventLoop& loop, const StreamConnection& connection,
                const RecordingProtocol& protocol) {
  connection.first->write(std::string_view("over tls"));
  run_until(
      ctx, loop, [&] { return protocol.data.size() >= 8 || protocol.lost > 0; }, "the echo over TLS");
  CHECK_EQUAL(protocol.data, std::string("over tls"),
              "the bytes written come back through the TLS echo server");
}
}  // namespace

LOOPCERT_CASE("connections.ssl.default_is_plain_tcp", clauses("LOOP-CONN-SSL-OPTION")) {
  // "by default a plain TCP transport is created": the peer reads the very
  // bytes written, not a TLS record.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection = connect(ctx, *loop, protocol, listener.port);
  UniqueFd peer = accepted_by(ctx, *loop, listener);
  connection.first->write(std::string_view("plain"));
  CHECK_EQUAL(read_at_peer(ctx, *loop, peer.get(), 5), std::string("plain"),
              "without ssl= the bytes go over the wire as written");
  close_connection(ctx, *loop, connection, *protocol);
}

LOOPCERT_CASE("connections.ssl.true_starts_tls", clauses("LOOP-CONN-SSL-OPTION")) {
  // "Pass True to create an SSL/TLS transport": the first bytes the peer
  // sees are a TLS handshake record (content type 22, version 3.x). The
  // peer then hangs up, so the handshake never completes: the Future fails,
  // or (decision D-NET-1, both orders) succeeds; either way
  // connection_made() is never called.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  RecordingFactory factory;
  auto future = loop->create_connection(factory.factory(), "127.0.0.1", listener.port,
                                        {.ssl = true, .server_hostname = "localhost"});
  UniqueFd peer = accepted_by(ctx, *loop, listener);
  std::string hello = read_at_peer(ctx, *loop, peer.get(), 3);
  REQUIRE_THAT(hello.size() >= 3, "the client sends something on the new connection");
  CHECK_THAT(hello[0] == 0x16 && hello[1] == 0x03,
             "with ssl=true the client starts with a TLS handshake record");
  peer.reset();
  auto outcome = attempt<StreamConnection>(
      ctx, *loop, [&] { return future; }, "create_connection() after the peer hung up");
  if (outcome.ok()) {
    // The transport is lost with the handshake: close what was returned and
    // give a late connection_made() some turns of the loop to show up.
    outcome.value->first->close();
    int turns = 0;
    run_until(
        ctx, *loop, [&] { return ++turns == 5; }, "a few turns of the loop after close()");
  }
  for (const auto& protocol : *factory.made) {
    CHECK_EQUAL(protocol->made, 0, "connection_made() is not called before the handshake completes");
  }
}

LOOPCERT_CASE("connections.ssl.true_self_signed_any_default",
              clauses("LOOP-CONN-SSL-DEFAULT-CONTEXT", "LOOP-CONN-CONNECTION-MADE-TIMING")) {
  // ssl=true creates a default context whose settings are the loop's to
  // choose (LOOP-CONN-SSL-DEFAULT-CONTEXT, decision D-NET-5: not asserted).
  // A self-signed server is therefore either refused -- an exception, and
  // connection_made() never called, since the handshake never completed --
  // or accepted, as one ordinary connection.
  TestPki pki(ctx);
  auto loop = ctx.new_loop();
  ignore_reports(*loop);
  std::size_t sockets_before = net_support::inet_sockets();
  TlsServer tls = serve_tls(ctx, *loop, pki.self_signed_server_context());
  RecordingFactory factory;
  auto outcome = attempt<StreamConnection>(
      ctx, *loop,
      [&] {
        return loop->create_connection(factory.factory(), "127.0.0.1", tls.port,
                                       {.ssl = true, .server_hostname = "localhost"});
      },
      "create_connection(ssl=true) to a self-signed server");
  if (outcome.ok()) {
    CHECK_EQUAL(factory.made->size(), std::size_t{1}, "an accepted connection has exactly one protocol");
    // The pair may come before the handshake ends (decision D-NET-1), and
    // connection_made() then only if it succeeds. Closing the transport
    // ends the connection either way: connection_lost() follows a
    // connection_made(), and neither comes without the other.
    auto& protocol = factory[0];
    outcome.value->first->close();
    int turns = 0;
    run_until(
        ctx, *loop, [&] { return protocol.made > 0 ? protocol.lost > 0 : ++turns >= 5; },
        "connection_lost() after close(), or a few turns of the loop if connection_made() never came");
    CHECK_EQUAL(protocol.lost, protocol.made,
                "connection_lost() once after connection_made(), never without it");
  } else {
    for (const auto& protocol : *factory.made) {
      CHECK_EQUAL(protocol->made, 0, "connection_made() is not called when the handshake fails");
    }
  }
  close_after_failure(ctx, *loop, tls, sockets_before);
}

LOOPCERT_CASE("connections.server_hostname.defaults_to_host", clauses("LOOP-CONN-SERVER-HOSTNAME")) {
  // "By default the value of the host argument is used": connecting to
  // "localhost" verifies the certificate made for localhost. (Both sides
  // IPv4, so that the name's other addresses play no part.)
  TestPki pki(ctx);
  auto loop = ctx.new_loop();
  TlsServer tls = serve_tls(ctx, *loop, pki.server_context());
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection =
      connect(ctx, *loop, protocol, tls.port, {.ssl = pki.client_context(), .family = AF_INET}, "localhost");
  check_echo(ctx, *loop, connection, *protocol);
  close_connection(ctx, *loop, connection, *protocol);
  close_server(ctx, *loop, tls.server, tls.accepted);
}

LOOPCERT_CASE("connections.server_hostname.overrides_host",
              clauses("LOOP-CONN-SERVER-HOSTNAME", "LOOP-CONN-SSL-OPTION", "LOOP-CONN-BIDI-TRANSPORT")) {
  // "this sets or overrides the hostname that will be verified": the
  // certificate names localhost only, the host is 127.0.0.1, and
  // server_hostname="localhost" is what makes verification succeed. The
  // same connection shows that "an ssl.SSLContext object [overrides] the
  // default SSL context": the context given trusts the test CA that signed
  // the server, and the echo goes both ways over it.
  TestPki pki(ctx);
  auto loop = ctx.new_loop();
  TlsServer tls = serve_tls(ctx, *loop, pki.server_context());
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection =
      connect(ctx, *loop, protocol, tls.port, {.ssl = pki.client_context(), .server_hostname = "localhost"});
  check_echo(ctx, *loop, connection, *protocol);
  close_connection(ctx, *loop, connection, *protocol);
  close_server(ctx, *loop, tls.server, tls.accepted);
}

LOOPCERT_CASE("connections.server_hostname.mismatch_rejected", clauses("LOOP-CONN-SSL-HOSTNAME-CHECK")) {
  // "if this raises an exception the connection is closed": a certificate
  // for localhost does not match server_hostname "other.invalid"; the
  // connection fails (decision D-NET-5: advisory).
  TestPki pki(ctx);
  auto loop = ctx.new_loop();
  ignore_reports(*loop);
  std::size_t sockets_before = net_support::inet_sockets();
  TlsServer tls = serve_tls(ctx, *loop, pki.server_context());
  RecordingFactory factory;
  auto outcome = attempt<StreamConnection>(
      ctx, *loop,
      [&] {
        return loop->create_connection(factory.factory(), "127.0.0.1", tls.port,
                                       {.ssl = pki.client_context(), .server_hostname = "other.invalid"});
      },
      "create_connection() with a server_hostname the certificate does not name");
  CHECK_THAT(!outcome.ok(), "a certificate that does not match server_hostname makes the connection fail");
  if (outcome.ok()) close_connection(ctx, *loop, *outcome.value, factory[0]);
  close_after_failure(ctx, *loop, tls, sockets_before);
}

LOOPCERT_CASE("connections.server_hostname.empty_disables_check", clauses("LOOP-CONN-SERVER-HOSTNAME")) {
  // An empty server_hostname with a CERT_NONE context disables hostname
  // verification: the connection to a self-signed server succeeds.
  TestPki pki(ctx);
  auto loop = ctx.new_loop();
  TlsServer tls = serve_tls(ctx, *loop, pki.self_signed_server_context());
  auto context = SSLContext::create_default_context();
  context->check_hostname = false;
  context->set_verify_mode(SSLContext::VerifyMode::none);
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection =
      connect(ctx, *loop, protocol, tls.port, {.ssl = context, .server_hostname = std::string()});
  check_echo(ctx, *loop, connection, *protocol);
  close_connection(ctx, *loop, connection, *protocol);
  close_server(ctx, *loop, tls.server, tls.accepted);
}
