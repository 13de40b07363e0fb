// Stream protocols (PEP 3156, "Stream Protocols"): the calling sequence
//
//   connection_made (data_received)* eof_received? connection_lost
//
// checked on the trace a RecordingProtocol keeps: each call once where the
// PEP says once, nothing after connection_lost(), and the order of a whole
// conversation, a reset and an abort by the peer.
#include <sys/socket.h>

#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

// --- The calling sequence -----------------------------------------------------

LOOPCERT_CASE("protocols.sequence.made_once_per_connection", clauses("PROTO-SEQ-CONNECTION-MADE-ONCE")) {
  // A server with three connections: each server-side protocol gets
  // connection_made() once, before anything else.
  auto loop = ctx.new_loop();
  std::vector<std::shared_ptr<RecordingProtocol>> accepted;
  auto server = ctx.run_until_complete(*loop,
                                       loop->create_server(
                                           [&accepted] {
                                             accepted.push_back(std::make_shared<RecordingProtocol>());
                                             return std::static_pointer_cast<Protocol>(accepted.back());
                                           },
                                           "127.0.0.1", 0),
                                       "create_server()");
  std::vector<std::shared_ptr<RecordingProtocol>> clients;
  for (int i = 0; i < 3; ++i) {
    auto client = std::make_shared<RecordingProtocol>();
    clients.push_back(client);
    ctx.run_until_complete(
        *loop,
        loop->create_connection([client] { return std::static_pointer_cast<Protocol>(client); }, "127.0.0.1",
                                server->sockets().front().address.port()),
        "create_connection()");
    // connection_made() may come before or after the Future completes
    // (D-NET-1): the transport is the protocol's only once it came.
    run_until(
        ctx, *loop, [&] { return client->made(); }, "connection_made() of the new client connection");
    client->transport->write(std::string_view("hi"));
  }
  run_until(
      ctx, *loop,
      [&] {
        if (accepted.size() < 3) return false;
        for (auto& a : accepted)
          if (a->received.size() < 2) return false;
        return true;
      },
      "three connections with data");
  for (auto& c : clients) c->transport->close();
  run_until(
      ctx, *loop,
      [&] {
        for (auto& a : accepted)
          if (!a->lost()) return false;
        for (auto& c : clients)
          if (!c->lost()) return false;
        return true;
      },
      "every connection to be lost");
  server->close();
  ctx.run_until_complete(*loop, server->wait_closed(), "wait_closed()");
  CHECK_EQUAL(accepted.size(), std::size_t{3}, "one protocol per connection");
  for (auto& a : accepted) {
    CHECK_EQUAL(a->count(Call::connection_made), 1, "connection_made() exactly once per connection");
    CHECK_EQUAL(sequence_problem(*a), std::string(), "connection_made() first");
  }
  for (auto& c : clients) {
    CHECK_EQUAL(c->count(Call::connection_made), 1, "connection_made() exactly once per client connection");
    CHECK_EQUAL(sequence_problem(*c), std::string(), "connection_made() first on the client side");
  }
}

LOOPCERT_CASE("protocols.sequence.no_data_after_eof",
              clauses("PROTO-SEQ-DATA-ZERO-OR-MORE", "PROTO-SEQ-EOF-AT-MOST-ONCE")) {
  // Data, then the peer's half-close, with the protocol keeping its end
  // open: every data_received() comes before eof_received(), and after it
  // there is none, however long the loop runs.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  auto pair = connect_raw(ctx, *loop, client);
  Pattern pattern;
  send_all(pair.peer.get(), pattern.next(100 * 1000));
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return client->got_eof() || client->lost(); }, "eof_received()");
  settle(ctx, *loop);
  CHECK_THAT(pattern.matches(client->received), "the data arrives before eof_received()");
  CHECK_EQUAL(sequence_problem(*client, Lost::optional), std::string(),
              "no data_received() after eof_received()");
  pair.close(ctx, *loop);
  CHECK_EQUAL(sequence_problem(*client), std::string(), "the calling sequence holds to the end");
}

LOOPCERT_CASE("protocols.sequence.eof_once_while_kept_open", clauses("PROTO-SEQ-EOF-AT-MOST-ONCE")) {
  // A socket at its end of stream stays readable: a transport that keeps
  // polling it after eof_received() returned true must not report the end
  // again, while the protocol goes on writing.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  auto pair = connect_raw(ctx, *loop, client);
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return client->got_eof() || client->lost(); }, "eof_received()");
  for (int i = 0; i < 3; ++i) {
    client->transport->write(std::string_view("still here"));
    settle(ctx, *loop);
  }
  CHECK_EQUAL(client->count(Call::eof_received), 1,
              conformance::str("eof_received() at most once: ", client->trace()));
  pair.close(ctx, *loop);
  CHECK_EQUAL(client->count(Call::eof_received), 1, "and not again while closing");
}

LOOPCERT_CASE("protocols.sequence.eof_once_across_pause_resume", clauses("PROTO-SEQ-EOF-AT-MOST-ONCE")) {
  // pause_reading()/resume_reading() after the end of the stream must not
  // make the transport read the end, and call eof_received(), again.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  auto pair = connect_raw(ctx, *loop, client);
  send_all(pair.peer.get(), "data");
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return client->got_eof() || client->lost(); }, "eof_received()");
  client->transport->pause_reading();
  settle(ctx, *loop);
  client->transport->resume_reading();
  settle(ctx, *loop);
  CHECK_EQUAL(client->count(Call::eof_received), 1,
              conformance::str("eof_received() at most once: ", client->trace()));
  CHECK_EQUAL(sequence_problem(*client, Lost::optional), std::string(), "the calling sequence holds");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.sequence.lost_once_after_close_close_abort",
              clauses("PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // close(), close() again and abort() on one transport, with data
  // buffered: connection_lost() once, and nothing after it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  Pattern pattern;
  fill(*p.transport, pattern, 256 * 1024);
  // The PEP is silent on calls to a closed or dead transport: each may
  // raise or not; only the protocol's calls are asserted.
  p.transport->close();
  may_throw([&] { p.transport->close(); });
  may_throw([&] { p.transport->abort(); });
  run_until(
      ctx, *loop, [&] { return p.lost(); }, "connection_lost()");
  settle(ctx, *loop);
  may_throw([&] { p.transport->abort(); });
  may_throw([&] { p.transport->close(); });
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::connection_lost), 1,
              conformance::str("connection_lost() exactly once: ", p.trace()));
  CHECK_EQUAL(sequence_problem(p), std::string(), "connection_lost() is the last call");
}

LOOPCERT_CASE("protocols.sequence.lost_once_when_both_ends_close",
              clauses("PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // The peer closes while the protocol closes too (from eof_received(),
  // and again from connection_lost()): still one connection_lost().
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  client->on_eof = [](RecordingProtocol& p) {
    p.transport->write(std::string_view("parting words"));
    p.transport->close();
  };
  client->on_lost = [](RecordingProtocol& p) { p.transport->close(); };
  auto pair = connect_raw(ctx, *loop, client);
  pair.peer.reset();
  run_until(
      ctx, *loop, [&] { return client->lost(); }, "connection_lost()");
  settle(ctx, *loop);
  CHECK_EQUAL(client->count(Call::connection_lost), 1,
              conformance::str("connection_lost() exactly once: ", client->trace()));
  CHECK_EQUAL(sequence_problem(*client), std::string(), "the calling sequence holds");
}

LOOPCERT_CASE("protocols.sequence.nothing_after_connection_lost", clauses("PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // After connection_lost(), transport methods called on the dead
  // transport (each may raise or not: the PEP is silent) make no protocol
  // calls, and data the peer still sends is not delivered.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  auto& p = *pair.client;
  p.transport->close();
  run_until(
      ctx, *loop, [&] { return p.lost() && pair.peer->lost(); }, "connection_lost() on both ends");
  std::size_t mark = p.events.size();
  may_throw([&] { p.transport->set_write_buffer_limits(0); });
  may_throw([&] { p.transport->write(std::string_view("after the end")); });
  may_throw([&] { p.transport->pause_reading(); });
  may_throw([&] { p.transport->resume_reading(); });
  may_throw([&] { p.transport->close(); });
  may_throw([&] { p.transport->abort(); });
  settle(ctx, *loop);
  CHECK_EQUAL(p.events.size(), mark,
              conformance::str("nothing is called after connection_lost(): ", p.trace()));
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.sequence.order_of_a_conversation", clauses("PROTO-SEQ-ORDER")) {
  // A request, a half-close, a reply, a close: both ends' traces read
  // connection_made (data_received)* eof_received? connection_lost.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  peer->eof_result = true;
  peer->on_eof = [](RecordingProtocol& p) {
    p.transport->write(std::string_view(p.received));
    p.transport->close();
  };
  auto pair = connect_pair(ctx, *loop, client, peer);
  Pattern pattern;
  for (int i = 0; i < 50; ++i) client->transport->write(pattern.next(1000 + i));
  client->transport->write_eof();
  client->eof_result = false;
  run_until(
      ctx, *loop, [&] { return client->lost() && peer->lost(); }, "the reply and both connection_lost()");
  CHECK_THAT(pattern.matches(client->received), "the reply comes back whole");
  CHECK_EQUAL(sequence_problem(*client), std::string(), "the client's calls follow the sequence");
  CHECK_EQUAL(sequence_problem(*peer), std::string(), "the server side's calls follow the sequence");
  CHECK_EQUAL(client->count(Call::eof_received), 1, "the client sees the server side's end of stream once");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.sequence.order_on_reset", clauses("PROTO-SEQ-ORDER")) {
  // Data, then a reset: connection_made (data_received)* connection_lost,
  // with nothing after it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  send_all(pair.peer.get(), "some data");
  reset(pair.peer);
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); }, "connection_lost() after a reset");
  settle(ctx, *loop);
  CHECK_EQUAL(sequence_problem(*pair.client), std::string(), "the calls follow the sequence after a reset");
}

LOOPCERT_CASE("protocols.sequence.order_when_the_peer_aborts", clauses("PROTO-SEQ-ORDER")) {
  // The client aborts while the server side is sending to it: the server
  // side's trace ends with one connection_lost(), whatever came before.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  Pattern pattern;
  fill(*pair.peer->transport, pattern, 256 * 1024, 4u << 20);
  pair.client->transport->write(std::string_view("going"));
  pair.client->transport->abort();
  run_until(
      ctx, *loop, [&] { return pair.client->lost() && pair.peer->lost(); }, "connection_lost() on both ends");
  settle(ctx, *loop);
  CHECK_EQUAL(sequence_problem(*pair.client), std::string(), "the aborting end's calls follow the sequence");
  CHECK_EQUAL(sequence_problem(*pair.peer), std::string(), "the other end's calls follow the sequence");
  pair.close(ctx, *loop);
}
