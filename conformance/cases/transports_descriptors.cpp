// Transports and their descriptors (PEP 3156, "Transports"): a transport's
// descriptor is the loop's to close, once. The loop closes what it created
// (a connection's socket) and what the caller handed over (a socket given
// as sock=, LOOP-CONN-SOCK; a pipe end, decision D-PIPE-3), when the
// transport is closed; and never closes that number again afterwards, when
// it may be someone else's descriptor (conformance/fd_reuse.hpp).
// Datagram endpoints: datagrams_endpoint.cpp.
#include <any>
#include <memory>
#include <string>

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
