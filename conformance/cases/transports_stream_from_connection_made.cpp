// Bidirectional stream transports (PEP 3156, "Bidirectional Stream
// Transports"): pause_reading() and abort() called from inside
// connection_made(), with the peer's bytes already waiting.
//
// A loop that starts reading only after connection_made() returns must
// still heed what the protocol did meanwhile: a pause holds the bytes
// (TR-PAUSE-READING), an abort severs the connection before anything is
// delivered (TR-ABORT).
#include <memory>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;
using net_support::UniqueFd;

namespace {

/// A server of the loop's whose connection goes to `accepted`, and a raw
/// client of the case's that connects and sends `greeting` before the loop
/// runs again: the bytes are waiting when connection_made() is called.
struct GreetedServer {
  std::shared_ptr<Server> server;
  UniqueFd client;

  void close(conformance::Context& ctx, AbstractEventLoop& loop) {
    server->close();
    ctx.run_until_complete(loop, server->wait_closed(), "wait_closed() of the server");
  }
};

GreetedServer greeted_server(conformance::Context& ctx, AbstractEventLoop& loop,
                             const std::shared_ptr<RecordingProtocol>& accepted, std::string_view greeting) {
  GreetedServer served;
  served.server = ctx.run_until_complete(
      loop,
      loop.create_server([accepted] { return std::static_pointer_cast<Protocol>(accepted); }, "127.0.0.1", 0),
      "create_server() on 127.0.0.1 port 0");
  served.client = net_support::connect_to(net_support::port_of(*served.server));
  REQUIRE_THAT(send_all(served.client.get(), greeting), "the client sends its greeting");
  run_until(
      ctx, loop, [&] { return accepted->made(); }, "connection_made() of the accepted connection");
  return served;
}

}  // namespace

LOOPCERT_CASE("transports.pause_reading.inside_connection_made",
              clauses("TR-PAUSE-READING", "TR-RESUME-READING")) {
  auto loop = ctx.new_loop();
  auto accepted = std::make_shared<RecordingProtocol>();
  accepted->on_made = [](RecordingProtocol& p) { p.transport->pause_reading(); };
  GreetedServer served = greeted_server(ctx, *loop, accepted, "hello");
  settle(ctx, *loop);
  CHECK_EQUAL(accepted->count(Call::data_received), 0,
              "no data_received() after pause_reading() inside connection_made(), though bytes were waiting");
  accepted->transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return accepted->received.size() >= 5; }, "the held bytes after resume_reading()");
  CHECK_EQUAL(accepted->received, std::string("hello"),
              "resume_reading() delivers the held bytes, all of them");
  accepted->transport->close();
  run_until(
      ctx, *loop, [&] { return accepted->lost(); }, "connection_lost() after close()");
  served.close(ctx, *loop);
}

LOOPCERT_CASE("transports.abort.inside_connection_made",
              clauses("TR-ABORT", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  auto loop = ctx.new_loop();
  auto accepted = std::make_shared<RecordingProtocol>();
  accepted->on_made = [](RecordingProtocol& p) { p.transport->abort(); };
  GreetedServer served = greeted_server(ctx, *loop, accepted, "hello");
  std::string at_client;
  run_until(
      ctx, *loop, [&] { return !net_support::drain(served.client.get(), at_client); },
      "the client to see the aborted connection end");
  run_until(
      ctx, *loop, [&] { return accepted->lost(); }, "connection_lost() after abort()");
  settle(ctx, *loop);
  CHECK_EQUAL(accepted->count(Call::data_received), 0,
              "no data_received() after abort() inside connection_made(), though bytes were waiting");
  CHECK_EQUAL(accepted->count(Call::connection_lost), 1, "connection_lost() exactly once after abort()");
  CHECK_EQUAL(sequence_problem(*accepted), std::string(), "the calling sequence holds");
  served.close(ctx, *loop);
}
