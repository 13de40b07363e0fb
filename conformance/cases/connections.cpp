// Internet connections (PEP 3156, "Internet connections"; decisions
// D-NET-1 to D-NET-5, D-TIER-3): create_connection() and its options, and
// the rule that no transport method blocks. The peer is a plain socket of
// the case's own when the case must see the bytes on the wire, and a
// server of the loop under test for TLS.
//
// This file: create_connection() and its options but ssl and
// server_hostname (connections_tls.cpp), and the rule that no transport
// method blocks.
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
using conformance::str;
using net_support::accept_from;
using net_support::attempt;
using net_support::close_connection;
using net_support::drain;
using net_support::listen_on_loopback;
using net_support::Listener;
using net_support::RecordingFactory;
using net_support::RecordingProtocol;
using net_support::run_until;
using net_support::socket_family;
using net_support::UniqueFd;

LOOPCERT_CASE("connections.create_connection.result_pair", clauses("LOOP-CONN-RESULT-PAIR")) {
  // "The coroutine's result on success is the (transport, protocol) pair":
  // the protocol is the one the factory returned, the transport the one
  // connection_made() receives.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto mine = std::make_shared<RecordingProtocol>();
  StreamConnection connection = connect(ctx, *loop, mine, listener.port);
  CHECK_THAT(connection.second == mine, "the pair's protocol is the one protocol_factory() returned");
  REQUIRE_THAT(connection.first != nullptr, "the pair holds a transport");
  CHECK_THAT(mine->first_transport == connection.first.get(),
             "the pair's transport is the one passed to connection_made()");
  close_connection(ctx, *loop, connection, *mine);
}

LOOPCERT_CASE("connections.create_connection.factory_called_once_without_arguments",
              clauses("LOOP-CONN-FACTORY-NOARGS")) {
  // "created or retrieved by calling protocol_factory() without arguments":
  // any callable will do, here a lambda that counts its calls.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  int calls = 0;
  auto connection = ctx.run_until_complete(*loop,
                                           loop->create_connection(
                                               [&] {
                                                 ++calls;
                                                 return protocol;
                                               },
                                               "127.0.0.1", listener.port),
                                           "create_connection() with a lambda as factory");
  run_until(
      ctx, *loop, [&] { return protocol->made > 0; }, "connection_made()");
  CHECK_EQUAL(calls, 1, "protocol_factory() is called once for the connection");
  CHECK_THAT(connection.second == protocol, "the protocol is what the lambda returned");
  close_connection(ctx, *loop, connection, *protocol);
}

LOOPCERT_CASE("connections.create_connection.connection_made_once",
              clauses("PROTO-SEQ-CONNECTION-MADE-ONCE")) {
  // connection_made() "will happen when the connection handshake is
  // complete": exactly once, with the pair's transport. Whether before or
  // after the Future completes is disputed (D-NET-1) and not asserted.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  auto future = loop->create_connection([protocol] { return protocol; }, "127.0.0.1", listener.port);
  run_until(
      ctx, *loop, [&] { return future.done() && protocol->made > 0; },
      "create_connection() to complete and connection_made() to be called");
  StreamConnection connection = future.result();
  loop->call_soon([&] { loop->stop(); });
  ctx.run_forever(*loop, "one more turn of the loop");
  CHECK_EQUAL(protocol->made, 1, "connection_made() is called exactly once");
  CHECK_THAT(protocol->first_transport == connection.first.get(),
             "connection_made() gets the pair's transport");
  CHECK_THAT(!protocol->out_of_order, "connection_made() comes before any other protocol method");
  close_connection(ctx, *loop, connection, *protocol);
}

LOOPCERT_CASE("connections.create_connection.bidirectional", clauses("LOOP-CONN-BIDI-TRANSPORT")) {
  // "an implementation-dependent bidirectional stream Transport": what the
  // protocol writes reaches the peer, what the peer writes reaches the
  // protocol.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection = connect(ctx, *loop, protocol, listener.port);
  UniqueFd peer = accepted_by(ctx, *loop, listener);
  connection.first->write(std::string_view("ping"));
  CHECK_EQUAL(read_at_peer(ctx, *loop, peer.get(), 4), std::string("ping"),
              "the peer receives what was written");
  conformance::write_all(peer.get(), "pong", 4);
  run_until(
      ctx, *loop, [&] { return protocol->data.size() >= 4 || protocol->lost > 0; },
      "data_received() with the peer's bytes");
  CHECK_EQUAL(protocol->data, std::string("pong"), "the protocol receives what the peer wrote");
  close_connection(ctx, *loop, connection, *protocol);
}

LOOPCERT_CASE("connections.create_connection.refused_fails", clauses("LOOP-CONN-FAILURE-RAISES")) {
  // "if a failure prevents the creation of a successful connection, an
  // appropriate exception will be raised": a port bound but not listening
  // refuses. Any error, thrown or through the Future (D-TIER-3).
  auto loop = ctx.new_loop();
  Listener closed_port = listen_on_loopback(false);
  RecordingFactory factory;
  auto outcome = attempt<StreamConnection>(
      ctx, *loop, [&] { return loop->create_connection(factory.factory(), "127.0.0.1", closed_port.port); },
      "create_connection() to a port that refuses");
  CHECK_THAT(!outcome.ok(), "create_connection() to a refusing port fails with an exception");
  for (const auto& protocol : *factory.made) {
    CHECK_EQUAL(protocol->made, 0, "no protocol's connection_made() is called for a refused connection");
  }
  if (outcome.ok()) outcome.value->first->abort();
}

LOOPCERT_CASE("connections.create_connection.family_passed_to_getaddrinfo",
              clauses("LOOP-CONN-GAI-OPTIONS", "LOOP-CONN-FAILURE-RAISES")) {
  // family is "passed through to getaddrinfo()": an IPv4 literal with
  // family=AF_INET connects; with family=AF_INET6 it has no IPv6 address,
  // unless the resolver maps it (::ffff:127.0.0.1, which names.cpp
  // accepts): create_connection() fails, or connects over an AF_INET6
  // socket, never an AF_INET one.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection = connect(ctx, *loop, protocol, listener.port, {.family = AF_INET});
  close_connection(ctx, *loop, connection, *protocol);
  auto outcome = attempt<StreamConnection>(
      ctx, *loop,
      [&] {
        return loop->create_connection([] { return std::make_shared<RecordingProtocol>(); }, "127.0.0.1",
                                       listener.port, {.family = AF_INET6});
      },
      "create_connection(\"127.0.0.1\", family=AF_INET6)");
  if (outcome.ok()) {
    int family = socket_family(*outcome.value->first);
    CHECK_THAT(family != AF_INET,
               "family=AF_INET6 reaches getaddrinfo(): a connection to 127.0.0.1 is made, if at all, over an "
               "AF_INET6 socket (an IPv4-mapped address), not an AF_INET one");
    outcome.value->first->abort();
  }
}

LOOPCERT_CASE("connections.sock.uses_given_socket", clauses("LOOP-CONN-SOCK")) {
  // "sock: An optional socket to be used instead of using the host, port
  // ... arguments": the transport talks over that very connection.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  UniqueFd client = net_support::connect_to(listener.port);
  SocketAddress client_address = net_support::local_of(client.get());
  UniqueFd peer = accept_from(listener);
  REQUIRE_THAT(static_cast<bool>(peer), "the listener has the case's connection");
  auto protocol = std::make_shared<RecordingProtocol>();
  ConnectionOptions options;
  options.sock.emplace(client.release());
  StreamConnection connection = connect(ctx, *loop, protocol, 0, std::move(options), "");
  CHECK_THAT(net_support::peer_of(peer.get()) == client_address, "the peer is the given socket");
  connection.first->write(std::string_view("via sock"));
  CHECK_EQUAL(read_at_peer(ctx, *loop, peer.get(), 8), std::string("via sock"),
              "the transport writes to the given socket's connection");
  close_connection(ctx, *loop, connection, *protocol);
}

LOOPCERT_CASE("connections.sock.with_host_or_port_is_error", clauses("LOOP-CONN-SOCK").extension("D-NET-2")) {
  // "If this is given, host and port must be explicitly set to None":
  // sock= with a host, or with a port, is an error (D-NET-2: of any kind,
  // thrown or through the Future). The sentence binds the caller: an
  // extension.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  struct Mix {
    const char* host;
    std::uint16_t port;
  };
  for (Mix mix : {Mix{"127.0.0.1", 0}, Mix{"", listener.port}, Mix{"127.0.0.1", listener.port}}) {
    RecordingFactory factory;
    auto outcome = attempt<StreamConnection>(
        ctx, *loop,
        [&] {
          ConnectionOptions options;
          options.sock.emplace(net_support::connect_to(listener.port).release());
          return loop->create_connection(factory.factory(), mix.host, mix.port, std::move(options));
        },
        "create_connection(sock=..., host or port given)");
    CHECK_THAT(!outcome.ok(),
               str("sock= together with host \"", mix.host, "\" and port ", mix.port, " is an error"));
    if (outcome.ok()) close_connection(ctx, *loop, *outcome.value, factory[0]);
    while (accept_from(listener)) {
    }
  }
}

LOOPCERT_CASE("connections.local_addr.binds_host", clauses("LOOP-CONN-LOCAL-ADDR")) {
  // "local_addr: If given, a (host, port) tuple used to bind the socket to
  // locally": the peer sees the connection come from 127.0.0.2, another
  // loopback address than the default source 127.0.0.1.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection =
      connect(ctx, *loop, protocol, listener.port, {.local_addr = HostPort{"127.0.0.2", 0}});
  UniqueFd peer = accepted_by(ctx, *loop, listener);
  CHECK_EQUAL(net_support::peer_of(peer.get()).host(), std::string("127.0.0.2"),
              "the connection comes from the local_addr host");
  close_connection(ctx, *loop, connection, *protocol);
}

LOOPCERT_CASE("connections.local_addr.binds_port", clauses("LOOP-CONN-LOCAL-ADDR")) {
  // The port of local_addr is bound too. The case finds a free port by
  // binding one and releasing it.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  std::uint16_t local_port = listen_on_loopback(false).port;
  auto protocol = std::make_shared<RecordingProtocol>();
  auto outcome = attempt<StreamConnection>(
      ctx, *loop,
      [&] {
        return loop->create_connection([protocol] { return protocol; }, "127.0.0.1", listener.port,
                                       {.local_addr = HostPort{"127.0.0.1", local_port}});
      },
      "create_connection(local_addr=(127.0.0.1, port))");
  if (!outcome.ok()) ctx.unresolved("the released port was taken before create_connection() bound it");
  UniqueFd peer = accepted_by(ctx, *loop, listener);
  CHECK_EQUAL(net_support::peer_of(peer.get()).port(), local_port,
              "the connection comes from the local_addr port");
  run_until(
      ctx, *loop, [&] { return protocol->made > 0; }, "connection_made()");
  close_connection(ctx, *loop, *outcome.value, *protocol);
}

LOOPCERT_CASE("connections.transport.write_does_not_block", clauses("TIER-NONBLOCKING-METHODS")) {
  // "Neither transport nor protocol methods block -- they set events into
  // motion and then return": write() of 8 MiB to a peer that never reads
  // returns, with the rest buffered.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  int small = 4096;
  ::setsockopt(listener.fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection = connect(ctx, *loop, protocol, listener.port);
  std::string big(8 << 20, 'w');
  {
    conformance::Watch guard = ctx.watch("write() of 8 MiB to a peer that never reads to return");
    connection.first->write(std::string_view(big));
  }
  CHECK_THAT(connection.first->get_write_buffer_size() > 0,
             "write() returned before the data could be sent: the rest is buffered");
  connection.first->abort();
  run_until(
      ctx, *loop, [&] { return protocol->lost > 0; }, "connection_lost() after abort()");
}

LOOPCERT_CASE("connections.transport.close_does_not_wait_for_flush", clauses("TIER-NONBLOCKING-METHODS")) {
  // close() "does not wait for all that to happen": with 4 MiB buffered it
  // returns at once; the data is flushed later, as the peer reads. The
  // peer's receive buffer is kept small, as in write_does_not_block: the
  // sender's buffer alone can take almost 4 MiB on loopback, and a peer
  // free to absorb the rest between two sends left nothing to flush.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  int small = 4096;
  ::setsockopt(listener.fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  auto protocol = std::make_shared<RecordingProtocol>();
  StreamConnection connection = connect(ctx, *loop, protocol, listener.port);
  UniqueFd peer = accepted_by(ctx, *loop, listener);
  const std::size_t size = 4 << 20;
  {
    conformance::Watch guard =
        ctx.watch("write() and close() with 4 MiB for a peer that is not reading to return");
    connection.first->write(std::string_view(std::string(size, 'c')));
    if (connection.first->get_write_buffer_size() == 0)
      ctx.unresolved("write() sent 4 MiB at once: nothing to flush");
    connection.first->close();
  }
  std::string got;
  bool open = true;
  run_until(
      ctx, *loop, [&] { return !(open = open && drain(peer.get(), got)) && protocol->lost > 0; },
      "the peer to read everything up to the end of the stream");
  CHECK_EQUAL(got.size(), size, "the data buffered before close() is sent afterwards");
}
