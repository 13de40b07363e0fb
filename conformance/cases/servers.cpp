// Servers (PEP 3156, "Internet connections": create_server(); "Servers";
// decisions D-NET-2, D-NET-4, D-SERVER-1, D-SERVER-2). Clients are plain
// sockets of the case's own, so that each case controls exactly when a
// client connects, writes and hangs up; the TLS case uses the loop's own
// create_connection() as the client.
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"

using namespace pep3156;
using conformance::str;
using net_support::attempt;
using net_support::close_server;
using net_support::connect_to;
using net_support::drain;
using net_support::listen_on_loopback;
using net_support::Listener;
using net_support::port_of;
using net_support::RecordingFactory;
using net_support::RecordingProtocol;
using net_support::run_for;
using net_support::run_until;
using net_support::UniqueFd;

namespace {
std::shared_ptr<Server> serve(conformance::Context& ctx, AbstractEventLoop& loop,
                              const RecordingFactory& factory, std::string host = "127.0.0.1",
                              ServerOptions options = {}) {
  auto server = ctx.run_until_complete(
      loop, loop.create_server(factory.factory(), std::move(host), 0, std::move(options)), "create_server()");
  REQUIRE_THAT(server != nullptr, "create_server() yields a Server");
  REQUIRE_THAT(port_of(*server) != 0, "the Server listens on a port");
  return server;
}

/// Sends `text` from a client and runs the loop until the echo is back.
std::string round_trip(conformance::Context& ctx, AbstractEventLoop& loop, int client,
                       const std::string& text) {
  conformance::write_all(client, text.data(), text.size());
  std::string got;
  bool open = true;
  run_until(
      ctx, loop, [&] { return !(open = open && drain(client, got)) || got.size() >= text.size(); },
      "the server's echo");
  return got;
}

int socket_option(int fd, int option) {
  int value = -1;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) return -1;
  return value;
}

bool all_listening(const std::vector<ListeningSocket>& sockets) {
  for (const ListeningSocket& s : sockets) {
    if (socket_option(s.fd, SO_ACCEPTCONN) != 1 || !(net_support::local_of(s.fd) == s.address)) return false;
  }
  return !sockets.empty();
}
}  // namespace

LOOPCERT_CASE("servers.create_server.returns_listening_server", clauses("LOOP-SERVER-RETURNS-SERVER")) {
  // "a coroutine that completes once the serving loop is set up to serve.
  // The return value is a Server object": a client can connect as soon as
  // the Future is done, and is served once the loop runs.
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory);
  UniqueFd client = connect_to(port_of(*server));
  run_until(
      ctx, *loop, [&] { return factory.calls() == 1 && factory[0].made == 1; },
      "the server to accept the client");
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.per_connection.protocol_and_transport_each", clauses("LOOP-SERVER-PER-CONNECTION")) {
  // "Each time a connection is accepted, protocol_factory is called without
  // arguments to create a Protocol, a bidirectional stream Transport is
  // created ... and the two are tied together by calling
  // protocol.connection_made(transport)."
  auto loop = ctx.new_loop();
  RecordingFactory factory{.echo = true};
  auto server = serve(ctx, *loop, factory);
  std::vector<UniqueFd> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_to(port_of(*server)));
  run_until(
      ctx, *loop,
      [&] { return factory.calls() >= 3 && factory[0].made && factory[1].made && factory[2].made; },
      "three connections to be accepted");
  CHECK_EQUAL(factory.calls(), 3u, "protocol_factory() is called once per accepted connection");
  std::set<const BaseTransport*> transports;
  for (std::size_t i = 0; i < factory.calls(); ++i) {
    CHECK_EQUAL(factory[i].made, 1, "each protocol's connection_made() is called once");
    transports.insert(factory[i].first_transport);
  }
  CHECK_EQUAL(transports.size(), 3u, "each connection has a transport of its own");
  for (int i = 0; i < 3; ++i) {
    std::string text = str("client ", i);
    CHECK_EQUAL(round_trip(ctx, *loop, clients[i].get(), text), text,
                "each connection's transport carries bytes both ways (an echo)");
  }
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.ssl_context.serves_tls", clauses("LOOP-SERVER-SSL-CONTEXT")) {
  // "ssl: Pass an ssl.SSLContext object ... to override the default SSL
  // context": the server presents the context's certificate; a client that
  // trusts its CA completes the handshake and gets an echo over TLS.
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  RecordingFactory factory{.echo = true};
  auto server = serve(ctx, *loop, factory, "127.0.0.1", {.ssl = pki.server_context()});
  auto protocol = std::make_shared<RecordingProtocol>();
  auto connection = ctx.run_until_complete(
      *loop,
      loop->create_connection([protocol] { return protocol; }, "127.0.0.1", port_of(*server),
                              {.ssl = pki.client_context(), .server_hostname = "localhost"}),
      "a TLS client's create_connection() to the server");
  run_until(
      ctx, *loop, [&] { return protocol->made > 0; }, "the client's connection_made()");
  connection.first->write(std::string_view("tls echo"));
  run_until(
      ctx, *loop, [&] { return protocol->data.size() >= 8 || protocol->lost > 0; }, "the echo over TLS");
  CHECK_EQUAL(protocol->data, std::string("tls echo"),
              "the TLS server's protocol receives and echoes plaintext");
  CHECK_EQUAL(factory.calls(), 1u, "the TLS server made one protocol for the connection");
  connection.first->close();
  run_until(
      ctx, *loop, [&] { return protocol->lost > 0; }, "the client's connection_lost()");
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.reuse_address.default_sets_so_reuseaddr", clauses("LOOP-SERVER-REUSE-ADDRESS")) {
  // "reuse_address: Whether to set the SO_REUSEADDR option on the socket.
  // The default is True on UNIX".
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory);
  for (const ListeningSocket& s : server->sockets()) {
    CHECK_THAT(socket_option(s.fd, SO_REUSEADDR) > 0, "by default the listening socket has SO_REUSEADDR set");
  }
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.reuse_address.false_leaves_it_unset", clauses("LOOP-SERVER-REUSE-ADDRESS")) {
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory, "127.0.0.1", {.reuse_address = false});
  for (const ListeningSocket& s : server->sockets()) {
    CHECK_EQUAL(socket_option(s.fd, SO_REUSEADDR), 0, "reuse_address=false leaves SO_REUSEADDR unset");
  }
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.gai_options.family_constrains_sockets", clauses("LOOP-SERVER-GAI-OPTIONS")) {
  // family is passed to getaddrinfo(): "localhost" with AF_INET binds IPv4
  // sockets only.
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory, "localhost", {.family = AF_INET});
  for (const ListeningSocket& s : server->sockets()) {
    CHECK_EQUAL(s.address.family(), AF_INET, "family=AF_INET gives IPv4 listening sockets only");
    CHECK_EQUAL(net_support::local_of(s.fd).family(), AF_INET, "the socket itself is IPv4");
  }
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.gai_options.passive_by_default", clauses("LOOP-SERVER-GAI-OPTIONS")) {
  // "the flags default to AI_PASSIVE": with host None (empty) the server
  // binds the wildcard address, not loopback (which is what getaddrinfo()
  // gives for None without AI_PASSIVE). No client connects; the server is
  // closed at once.
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory, "", {.family = AF_INET});
  for (const ListeningSocket& s : server->sockets()) {
    CHECK_EQUAL(s.address.host(), std::string("0.0.0.0"),
                "host None with AI_PASSIVE binds the wildcard address");
  }
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.dual_stack.any_number_of_sockets", clauses("LOOP-SERVER-DUAL-STACK").tolerance()) {
  // "Multiple sockets may be bound if the specified address allows both
  // IPv4 and IPv6 connections": one socket or several, each a listening
  // loopback socket.
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory, "localhost");
  auto sockets = server->sockets();
  CHECK_THAT(all_listening(sockets), "each of the server's sockets listens where it says");
  for (const ListeningSocket& s : sockets) {
    std::string host = s.address.host();
    CHECK_THAT(host.rfind("127.", 0) == 0 || host == "::1",
               str("a socket for localhost is loopback, not ", host));
  }
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.backlog.any_value_serves", clauses("LOOP-SERVER-BACKLOG").tolerance()) {
  // "The default is implementation-dependent": whatever it does with it, a
  // server with backlog=1 serves a client.
  auto loop = ctx.new_loop();
  RecordingFactory factory{.echo = true};
  auto server = serve(ctx, *loop, factory, "127.0.0.1", {.backlog = 1});
  UniqueFd client = connect_to(port_of(*server));
  CHECK_EQUAL(round_trip(ctx, *loop, client.get(), "backlog"), std::string("backlog"),
              "a server with backlog=1 serves a client");
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.sock.serves_given_socket", clauses("LOOP-SERVER-SOCK")) {
  // "sock: An optional socket to be used instead of using the host, port,
  // family and flags arguments": clients of that socket's port are served.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  std::uint16_t port = listener.port;
  RecordingFactory factory{.echo = true};
  ServerOptions options;
  options.sock.emplace(listener.fd.release());
  auto server = ctx.run_until_complete(
      *loop, loop->create_server(factory.factory(), "", 0, std::move(options)), "create_server(sock=...)");
  REQUIRE_THAT(server != nullptr, "create_server(sock=...) yields a Server");
  CHECK_EQUAL(port_of(*server), port, "the Server serves on the given socket's port");
  UniqueFd client = connect_to(port);
  CHECK_EQUAL(round_trip(ctx, *loop, client.get(), "given"), std::string("given"),
              "a client of the given socket is served");
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.sock.with_host_or_port_is_error", clauses("LOOP-SERVER-SOCK").extension("D-NET-2")) {
  // "If this is given, host and port must be explicitly set to None"
  // (decision D-NET-2: an error of any kind, thrown or through the Future).
  // The sentence binds the caller: an extension.
  auto loop = ctx.new_loop();
  for (int variant = 0; variant < 2; ++variant) {
    Listener listener = listen_on_loopback();
    std::string host = variant == 0 ? "127.0.0.1" : "";
    std::uint16_t port = variant == 0 ? 0 : listener.port;
    RecordingFactory factory;
    auto outcome = attempt<std::shared_ptr<Server>>(
        ctx, *loop,
        [&] {
          ServerOptions options;
          options.sock.emplace(listener.fd.release());
          return loop->create_server(factory.factory(), host, port, std::move(options));
        },
        "create_server(sock=..., host or port given)");
    CHECK_THAT(!outcome.ok(), str("sock= together with host \"", host, "\" and port ", port, " is an error"));
    if (outcome.ok()) close_server(ctx, *loop, *outcome.value, factory);
  }
}

LOOPCERT_CASE("servers.close.stops_accepting", clauses("SERVER-CLOSE")) {
  // close() "stops accepting new requests": a client that connects after
  // close() is refused, or at least never served.
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory);
  std::uint16_t port = port_of(*server);
  server->close();
  ctx.run_until_complete(*loop, server->wait_closed(), "wait_closed() of a server without connections");
  UniqueFd late;
  try {
    late = connect_to(port);
  } catch (const std::system_error&) {
    // Refused: nobody listens any more.
  }
  run_for(ctx, *loop, 0.02, "a while, to see whether the late client is served");
  CHECK_EQUAL(factory.calls(), 0u, "no protocol is made for a client that connects after close()");
}

LOOPCERT_CASE("servers.close.keeps_accepted_connections", clauses("SERVER-CLOSE")) {
  // close() "does not cancel requests that have already been accepted": an
  // accepted connection goes on working after close().
  auto loop = ctx.new_loop();
  RecordingFactory factory{.echo = true};
  auto server = serve(ctx, *loop, factory);
  UniqueFd client = connect_to(port_of(*server));
  CHECK_EQUAL(round_trip(ctx, *loop, client.get(), "before"), std::string("before"), "the connection works");
  server->close();
  CHECK_EQUAL(round_trip(ctx, *loop, client.get(), "after"), std::string("after"),
              "the accepted connection still works after close()");
  CHECK_EQUAL(factory[0].lost, 0, "close() does not end an accepted connection");
  close_server(ctx, *loop, server, factory);
}

LOOPCERT_CASE("servers.wait_closed.waits_for_accepted_connections", clauses("SERVER-WAIT-CLOSED")) {
  // wait_closed() "blocks until the service is closed and all accepted
  // requests have been handled" (decision D-SERVER-2: until every accepted
  // connection is lost).
  auto loop = ctx.new_loop();
  RecordingFactory factory{.echo = true};
  auto server = serve(ctx, *loop, factory);
  UniqueFd client = connect_to(port_of(*server));
  CHECK_EQUAL(round_trip(ctx, *loop, client.get(), "open"), std::string("open"), "the connection works");
  server->close();
  Future<void> closed = server->wait_closed();
  run_for(ctx, *loop, 0.02, "a while with an accepted connection still open");
  CHECK_THAT(!closed.done(), "wait_closed() is not done while an accepted connection is open");
  client.reset();  // the server's protocol sees the end of the stream and its transport closes
  ctx.run_until_complete(*loop, closed, "wait_closed() once the client hung up");
  CHECK_EQUAL(factory[0].lost, 1, "wait_closed() is done once the accepted connection is lost");
}

LOOPCERT_CASE("servers.wait_closed.not_before_close", clauses("SERVER-WAIT-CLOSED")) {
  // "until the service is closed": a wait_closed() started while serving is
  // not done before close(), and is done after it.
  auto loop = ctx.new_loop();
  RecordingFactory factory{.echo = true};
  auto server = serve(ctx, *loop, factory);
  Future<void> closed = server->wait_closed();
  {
    UniqueFd client = connect_to(port_of(*server));
    CHECK_EQUAL(round_trip(ctx, *loop, client.get(), "serving"), std::string("serving"), "the server serves");
  }
  run_until(
      ctx, *loop, [&] { return factory.all_lost(); }, "the client's connection to be lost");
  run_for(ctx, *loop, 0.01, "a while, serving");
  CHECK_THAT(!closed.done(), "wait_closed() is not done while the server is not closed");
  server->close();
  ctx.run_until_complete(*loop, closed, "wait_closed() after close()");
}

LOOPCERT_CASE("servers.wraps_sockets.listening_descriptors", clauses("SERVER-WRAPS-SOCKETS")) {
  // A Server "wraps the sockets (or other network objects) used to accept
  // requests": what sockets() reports are listening sockets bound where
  // they say (decision D-SERVER-1).
  auto loop = ctx.new_loop();
  RecordingFactory factory;
  auto server = serve(ctx, *loop, factory);
  auto sockets = server->sockets();
  CHECK_THAT(all_listening(sockets), "each wrapped socket is a listening socket bound to its address");
  for (const ListeningSocket& s : sockets) {
    CHECK_EQUAL(s.address.host(), std::string("127.0.0.1"), "the socket is bound to the host asked for");
  }
  close_server(ctx, *loop, server, factory);
}
