// Transports and their descriptors (PEP 3156, "Transports"): a transport's
// descriptor is the loop's to close, once. The loop closes what it created
// (a connection's socket) and what the caller handed over (a socket given
// as sock=, LOOP-CONN-SOCK; a pipe end, decision D-PIPE-3), when the
// transport is closed; and never closes that number again afterwards, when
// it may be someone else's descriptor (conformance/fd_reuse.hpp).
// Datagram endpoints: datagrams_endpoint.cpp.
#include <any>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "conformance/conformance.hpp"
#include "conformance/fd_reuse.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;
using conformance::check_closed_once;
using net_support::UniqueFd;

namespace {

ProtocolFactory returning(const std::shared_ptr<RecordingProtocol>& protocol) {
  return [protocol] { return std::static_pointer_cast<Protocol>(protocol); };
}

int socket_of(const BaseTransport& transport) { return transport.get_extra_info<int>("socket", -1); }

/// Closes `protocol`'s transport and runs the loop until connection_lost().
void close_and_wait(conformance::Context& ctx, AbstractEventLoop& loop, RecordingProtocol& protocol) {
  protocol.transport->close();
  run_until(
      ctx, loop, [&] { return protocol.lost(); }, "connection_lost() after close()");
}

/// Drops the references a RecordingProtocol keeps to its transport.
void forget_transport(RecordingProtocol& protocol) {
  protocol.transport.reset();
  protocol.base_transport.reset();
}

/// A client connection to `listener`, given to create_connection() as
/// sock= if `given`, else made by the loop; checks its descriptor is
/// closed once after close().
void check_client_socket(conformance::Context& ctx, bool given) {
  auto loop = ctx.new_loop();
  net_support::Listener listener = net_support::listen_on_loopback();
  auto client = std::make_shared<RecordingProtocol>();
  ConnectionOptions options;
  if (given) options.sock = Socket(net_support::connect_to(listener.port).release());
  auto connection =
      ctx.run_until_complete(*loop,
                             given ? loop->create_connection(returning(client), "", 0, std::move(options))
                                   : loop->create_connection(returning(client), "127.0.0.1", listener.port),
                             "create_connection()");
  run_until(
      ctx, *loop, [&] { return client->made(); }, "connection_made()");
  int number = socket_of(*connection.first);
  REQUIRE_THAT(number >= 0, "get_extra_info('socket') gives the connection's descriptor");
  UniqueFd peer = net_support::accept_from(listener);
  close_and_wait(ctx, *loop, *client);
  check_closed_once(ctx, *loop, {number}, "the connection's socket", [&] {
    connection = {};
    forget_transport(*client);
  });
}

}  // namespace

LOOPCERT_CASE("transports.descriptors.connection_socket_closed_once",
              clauses("TR-CLOSE-CONNECTION-LOST-NONE", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  check_client_socket(ctx, false);
}

LOOPCERT_CASE("transports.descriptors.given_socket_closed_once",
              clauses("LOOP-CONN-SOCK", "TR-CLOSE-CONNECTION-LOST-NONE")) {
  check_client_socket(ctx, true);
}

LOOPCERT_CASE("transports.descriptors.accepted_socket_closed_once",
              clauses("TR-CLOSE-CONNECTION-LOST-NONE", "LOOP-SERVER-PER-CONNECTION")) {
  auto loop = ctx.new_loop();
  auto accepted = std::make_shared<RecordingProtocol>();
  auto server = ctx.run_until_complete(*loop, loop->create_server(returning(accepted), "127.0.0.1", 0),
                                       "create_server() on 127.0.0.1 port 0");
  UniqueFd client = net_support::connect_to(net_support::port_of(*server));
  run_until(
      ctx, *loop, [&] { return accepted->made(); }, "connection_made() of the accepted connection");
  int number = socket_of(*accepted->transport);
  REQUIRE_THAT(number >= 0, "get_extra_info('socket') gives the accepted connection's descriptor");
  close_and_wait(ctx, *loop, *accepted);
  server->close();
  ctx.run_until_complete(*loop, server->wait_closed(), "wait_closed() of the server");
  check_closed_once(ctx, *loop, {number}, "the accepted connection's socket", [&] {
    server.reset();
    forget_transport(*accepted);
  });
}

LOOPCERT_CASE("transports.descriptors.tls_socket_closed_once",
              clauses("TR-CLOSE-CONNECTION-LOST-NONE", "LOOP-CONN-SSL-OPTION")) {
  // A TLS connection's socket, under the TLS layer: closed once after
  // close(), as a plain connection's is.
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  auto accepted = std::make_shared<RecordingProtocol>();
  auto server = ctx.run_until_complete(
      *loop, loop->create_server(returning(accepted), "127.0.0.1", 0, {.ssl = pki.server_context()}),
      "create_server(ssl=context)");
  auto client = std::make_shared<RecordingProtocol>();
  auto connection = ctx.run_until_complete(
      *loop,
      loop->create_connection(returning(client), "127.0.0.1", net_support::port_of(*server),
                              {.ssl = pki.client_context(), .server_hostname = "localhost"}),
      "create_connection(ssl=context)");
  run_until(
      ctx, *loop, [&] { return client->made() && accepted->made(); }, "connection_made() on both ends");
  int number = socket_of(*connection.first);
  REQUIRE_THAT(number >= 0, "get_extra_info('socket') gives the TLS connection's descriptor");
  close_and_wait(ctx, *loop, *client);
  run_until(
      ctx, *loop, [&] { return accepted->lost(); }, "connection_lost() of the server's end");
  server->close();
  ctx.run_until_complete(*loop, server->wait_closed(), "wait_closed() of the server");
  check_closed_once(ctx, *loop, {number}, "the TLS connection's socket", [&] {
    connection = {};
    server.reset();
    forget_transport(*client);
    forget_transport(*accepted);
  });
}

namespace {

/// A connected socket handed to create_connection() as sock=, with
/// `options`, in an attempt that fails: the socket was the loop's from the
/// call on (LOOP-CONN-SOCK: a Socket owns its descriptor), so the loop
/// closes it, once, however the attempt ended.
void check_given_socket_after_failure(conformance::Context& ctx, AbstractEventLoop& loop,
                                      const net_support::Listener& listener, ConnectionOptions options,
                                      ProtocolFactory factory, std::string_view attempt_name) {
  UniqueFd given = net_support::connect_to(listener.port);
  int number = given.get();
  net_support::accept_from(listener);  // and closed at once: the peer hangs up, unread
  options.sock = Socket(given.release());
  auto outcome = net_support::attempt<StreamConnection>(
      ctx, loop, [&] { return loop.create_connection(std::move(factory), "", 0, std::move(options)); },
      std::string(attempt_name));
  // Whether the attempt fails at once or (over TLS, D-NET-1) gives its pair
  // before the handshake failed is not this case's subject.
  if (outcome.ok()) {
    outcome.value->first->close();
    settle(ctx, loop);
  }
  check_closed_once(ctx, loop, {number}, "the socket given as sock= to a failed create_connection()",
                    [&] { outcome.value.reset(); });
}

}  // namespace

LOOPCERT_CASE("connections.sock.closed_once_when_the_factory_raises",
              clauses("LOOP-CONN-SOCK", "LOOP-CONN-FAILURE-RAISES")) {
  auto loop = ctx.new_loop();
  loop->set_exception_handler([](AbstractEventLoop&, const ExceptionContext&) {});
  net_support::Listener listener = net_support::listen_on_loopback();
  ProtocolFactory raising = []() -> std::shared_ptr<Protocol> {
    throw std::runtime_error("the protocol factory raises");
  };
  check_given_socket_after_failure(ctx, *loop, listener, {}, raising,
                                   "create_connection(sock=) whose protocol factory raises");
}

LOOPCERT_CASE("connections.sock.closed_once_when_the_handshake_fails",
              clauses("LOOP-CONN-SOCK", "LOOP-CONN-SSL-OPTION")) {
  // The peer is not a TLS server: it closes the connection unread, and the
  // handshake fails.
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  loop->set_exception_handler([](AbstractEventLoop&, const ExceptionContext&) {});
  net_support::Listener listener = net_support::listen_on_loopback();
  auto protocol = std::make_shared<RecordingProtocol>();
  check_given_socket_after_failure(
      ctx, *loop, listener, {.ssl = pki.client_context(), .server_hostname = "localhost"},
      returning(protocol), "create_connection(sock=, ssl=) to a peer that hangs up");
}

LOOPCERT_CASE("servers.sock.given_socket_closed_once", clauses("LOOP-SERVER-SOCK", "SERVER-CLOSE")) {
  // A listening socket handed over as sock= is the server's (a Socket owns
  // its descriptor): the server's close() closes it, and never again.
  auto loop = ctx.new_loop();
  net_support::Listener listener = net_support::listen_on_loopback();
  int number = listener.fd.get();
  auto accepted = std::make_shared<RecordingProtocol>();
  ServerOptions options;
  options.sock.emplace(listener.fd.release());
  auto server = ctx.run_until_complete(
      *loop, loop->create_server(returning(accepted), "", 0, std::move(options)), "create_server(sock=)");
  server->close();
  ctx.run_until_complete(*loop, server->wait_closed(), "wait_closed() of the server");
  check_closed_once(ctx, *loop, {number}, "the server's given listening socket", [&] { server.reset(); });
}

namespace {

/// A pipe end handed to connect_read_pipe() (`read`) or
/// connect_write_pipe(): the transport owns it (D-PIPE-3) and closes it
/// once, after close().
void check_pipe_end(conformance::Context& ctx, bool read) {
  auto loop = ctx.new_loop();
  int fds[2];
  REQUIRE_THAT(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0, "a pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  UniqueFd& handed = read ? read_end : write_end;
  int number = handed.get();
  auto protocol = std::make_shared<RecordingProtocol>();
  std::shared_ptr<BaseTransport> transport;
  if (read) {
    transport =
        ctx.run_until_complete(*loop, loop->connect_read_pipe(returning(protocol), Socket(handed.release())),
                               "connect_read_pipe()")
            .first;
  } else {
    auto factory = [protocol] { return std::static_pointer_cast<BaseProtocol>(protocol); };
    transport = ctx.run_until_complete(*loop, loop->connect_write_pipe(factory, Socket(handed.release())),
                                       "connect_write_pipe()")
                    .first;
  }
  run_until(
      ctx, *loop, [&] { return protocol->made(); }, "connection_made() of the pipe's transport");
  transport->close();
  run_until(
      ctx, *loop, [&] { return protocol->lost(); }, "connection_lost() after close()");
  check_closed_once(ctx, *loop, {number}, read ? "the read pipe's end" : "the write pipe's end", [&] {
    transport.reset();
    forget_transport(*protocol);
  });
}

}  // namespace

LOOPCERT_CASE("pipes.descriptors.read_pipe_closed_once", clauses("TR-READ-PIPE-METHODS")) {
  check_pipe_end(ctx, true);
}

LOOPCERT_CASE("pipes.descriptors.write_pipe_closed_once", clauses("TR-WRITE-PIPE-METHODS")) {
  check_pipe_end(ctx, false);
}
