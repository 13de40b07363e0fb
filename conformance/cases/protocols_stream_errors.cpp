// Stream protocols (PEP 3156, "Stream Protocols"): a protocol method that
// raises.
//
// Protocol methods are callbacks the loop calls, and an exception raised by
// a callback is logged and ignored (LOOP-ERR-CALLBACK-EXC-LOGGED; decision
// D-ERR-3: it reaches the exception handler, and the loop goes on). What the
// loop then does with the transport, the PEP leaves open: asyncio closes it
// after data_received() raised and leaves it open after connection_made()
// did. Either way the connection still ends with connection_lost() exactly
// once (PROTO-SEQ-CONNECTION-LOST-ONCE): the case aborts the transport if
// the loop left it open, and counts.
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;
using conformance::ExceptionLog;

namespace {

/// What the raising protocol method throws: its what() names the method.
std::runtime_error raised_by(const char* method) {
  return std::runtime_error(conformance::str(method, "() raised on purpose"));
}

/// Once `method` of `protocol` has raised: ends the connection (abort(),
/// unless the loop already closed it), lets the loop run a little longer,
/// and checks that the exception reached the handler and that
/// connection_lost() came exactly once, last.
void expect_reported_and_lost_once(conformance::Context& ctx, AbstractEventLoop& loop,
                                   const ExceptionLog& log, RecordingProtocol& protocol, const char* method) {
  if (!protocol.lost() && protocol.transport) may_throw([&] { protocol.transport->abort(); });
  run_until(
      ctx, loop, [&] { return protocol.lost(); },
      conformance::str("connection_lost() after ", method, "() raised"));
  settle(ctx, loop);
  auto whats = log.whats();
  CHECK_THAT(std::count(whats.begin(), whats.end(), raised_by(method).what()) > 0,
             conformance::str("the exception ", method,
                              "() raised reaches the exception handler, and the loop goes on"));
  CHECK_EQUAL(protocol.count(Call::connection_lost), 1,
              conformance::str("connection_lost() exactly once after ", method, "() raised"));
  CHECK_EQUAL(sequence_problem(protocol), std::string(),
              "the calling sequence holds after a protocol method raised");
}

}  // namespace

LOOPCERT_CASE("protocols.raising.data_received",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  auto client = std::make_shared<RecordingProtocol>();
  client->on_data = [](RecordingProtocol&, std::string_view) { throw raised_by("data_received"); };
  RawPair pair = connect_raw(ctx, *loop, client);
  REQUIRE_THAT(send_all(pair.peer.get(), "ping"), "the peer sends a few bytes");
  run_until(
      ctx, *loop, [&] { return client->count(Call::data_received) > 0; },
      "data_received() of the peer's bytes");
  expect_reported_and_lost_once(ctx, *loop, log, *client, "data_received");
}

LOOPCERT_CASE("protocols.raising.eof_received",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  auto client = std::make_shared<RecordingProtocol>();
  client->on_eof = [](RecordingProtocol&) { throw raised_by("eof_received"); };
  RawPair pair = connect_raw(ctx, *loop, client);
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return client->got_eof(); }, "eof_received() after the peer's half-close");
  expect_reported_and_lost_once(ctx, *loop, log, *client, "eof_received");
}

LOOPCERT_CASE("protocols.raising.connection_made",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // create_connection() may complete either way (the loop may fail it with
  // the exception, or hand out the connection); it must complete, and
  // connection_made() must have come (decision D-NET-1: in either order).
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  auto client = std::make_shared<RecordingProtocol>();
  client->on_made = [](RecordingProtocol&) { throw raised_by("connection_made"); };
  net_support::Listener listener = net_support::listen_on_loopback();
  auto connecting = loop->create_connection([client] { return std::static_pointer_cast<Protocol>(client); },
                                            "127.0.0.1", listener.port);
  run_until(
      ctx, *loop, [&] { return connecting.done() && client->made(); },
      "create_connection() and connection_made()");
  if (!connecting.cancelled()) (void)connecting.exception();  // either outcome is allowed
  expect_reported_and_lost_once(ctx, *loop, log, *client, "connection_made");
}

LOOPCERT_CASE("protocols.raising.pause_writing",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // pause_writing() may come from inside write(); what it raises is still
  // the loop's to report, never the write() caller's.
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  auto client = std::make_shared<RecordingProtocol>();
  client->on_pause = [](RecordingProtocol&) { throw raised_by("pause_writing"); };
  RawPair pair = connect_raw(ctx, *loop, client, kSlowPeer);
  Pattern pattern;
  fill(*client->transport, pattern);
  run_until(
      ctx, *loop, [&] { return client->count(Call::pause_writing) > 0; },
      "pause_writing() once the buffer is over the high-water mark");
  expect_reported_and_lost_once(ctx, *loop, log, *client, "pause_writing");
}
