// Stream protocols (PEP 3156, "Stream Protocols", "Protocols"): the calls
// a stream transport makes on its protocol, their arguments, their context
// (the loop's thread, one at a time), and their order:
//
//   connection_made (data_received)* eof_received? connection_lost
//
// with pause_writing()/resume_writing() alternating in between. Every case
// records the calls (RecordingProtocol) and checks the trace; the bug
// classes real loops shipped are each a case: connection_lost() twice or
// never, data after eof_received() or after close(), eof_received() twice,
// resume_writing() without pause_writing(), two pauses in a row.
//
// This file: each call and its arguments; the calling sequence is in
// protocols_stream_sequence.cpp, pause_writing()/resume_writing() in
// protocols_stream_flow.cpp.
#include <sys/socket.h>

#include <string>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

// --- Context ------------------------------------------------------------------

LOOPCERT_CASE("protocols.context.loop_thread_one_at_a_time", clauses("PROTO-LOOP-CONTEXT")) {
  // A whole conversation on both ends (data both ways, half-closes, flow
  // control, close): every protocol call comes on the loop's thread and
  // none runs inside another protocol call or a transport method.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  client->eof_result = peer->eof_result = true;
  peer->on_data = [](RecordingProtocol& p, std::string_view data) { p.transport->write(data); };
  peer->on_eof = [](RecordingProtocol& p) { p.transport->close(); };
  client->on_eof = [](RecordingProtocol& p) { p.transport->close(); };
  auto pair = connect_pair(ctx, *loop, client, peer);
  client->transport->set_write_buffer_limits(1024);
  Pattern pattern;
  client->call([&] { client->transport->write(pattern.next(512 * 1024)); });
  client->call([&] { client->transport->write_eof(); });
  run_until(
      ctx, *loop, [&] { return client->lost() && peer->lost(); },
      "the echoed stream and both ends' connection_lost()");
  CHECK_THAT(pattern.matches(client->received), "the echo comes back whole");
  CHECK_EQUAL(context_problem(*client), std::string(),
              "the client's protocol calls come from the loop, one at a time");
  CHECK_EQUAL(context_problem(*peer), std::string(),
              "the server side's protocol calls come from the loop, one at a time");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.context.close_inside_data_received",
              clauses("PROTO-LOOP-CONTEXT", "TR-CLOSE-NONBLOCKING")) {
  // close() and abort() called from inside protocol methods: the resulting
  // connection_lost() is a callback of its own, after the method returned
  // (decision D-TR-5), on the loop's thread.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  client->on_data = [](RecordingProtocol& p, std::string_view) { p.transport->close(); };
  peer->on_eof = [](RecordingProtocol& p) { p.transport->abort(); };
  peer->eof_result = true;
  auto pair = connect_pair(ctx, *loop, client, peer);
  peer->transport->write(std::string_view("ping"));
  run_until(
      ctx, *loop, [&] { return client->lost() && peer->lost(); }, "connection_lost() on both ends");
  CHECK_EQUAL(context_problem(*client), std::string(), "connection_lost() does not run inside close()");
  CHECK_EQUAL(context_problem(*peer), std::string(), "connection_lost() does not run inside abort()");
  pair.close(ctx, *loop);
}

// --- connection_made ----------------------------------------------------------

LOOPCERT_CASE("protocols.connection_made.gets_the_transport",
              clauses("PROTO-CONNECTION-MADE", "PROTO-SEQ-CONNECTION-MADE-ONCE")) {
  // connection_made(transport) is called once, first, with the transport
  // that create_connection()'s pair holds; the server side gets a
  // transport of its own.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  CHECK_THAT(pair.client->base_transport != nullptr, "connection_made() gets a transport");
  CHECK_THAT(pair.client->base_transport.get() == static_cast<BaseTransport*>(pair.connection.first.get()),
             "connection_made() gets the transport of create_connection()'s pair");
  CHECK_THAT(pair.connection.second.get() == static_cast<Protocol*>(pair.client.get()),
             "the pair holds the factory's protocol");
  CHECK_THAT(pair.peer->transport != nullptr && pair.peer->transport != pair.client->transport,
             "the server side gets a stream transport of its own");
  pair.close(ctx, *loop);
  for (auto* p : {pair.client.get(), pair.peer.get()}) {
    CHECK_EQUAL(p->count(Call::connection_made), 1, "connection_made() is called exactly once");
    CHECK_THAT(p->events.front().call == Call::connection_made, "connection_made() is the first call");
  }
}

LOOPCERT_CASE("protocols.connection_made.can_write_at_once", clauses("PROTO-CONNECTION-MADE")) {
  // Writing from inside connection_made() works, on both ends (a server
  // greeting, a client request).
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  client->on_made = [](RecordingProtocol& p) { p.transport->write(std::string_view("HELO client")); };
  peer->on_made = [](RecordingProtocol& p) { p.transport->write(std::string_view("220 server")); };
  auto pair = connect_pair(ctx, *loop, client, peer);
  run_until(
      ctx, *loop, [&] { return client->received.size() >= 10 && peer->received.size() >= 11; },
      "each end to receive what the other wrote in connection_made()");
  CHECK_EQUAL(client->received, std::string("220 server"),
              "the server side's write in connection_made() arrives");
  CHECK_EQUAL(peer->received, std::string("HELO client"), "the client's write in connection_made() arrives");
  pair.close(ctx, *loop);
}

// --- data_received ------------------------------------------------------------

LOOPCERT_CASE("protocols.data_received.never_empty", clauses("PROTO-DATA-NONEMPTY")) {
  // 300 small sends, then the end of the stream (where a careless
  // transport passes on read()'s empty result): every data_received() has
  // at least one byte.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  std::string sent;
  for (int i = 0; i < 300; ++i) {
    std::string piece = conformance::str(i, ",");
    send_all(pair.peer.get(), piece);
    sent += piece;
  }
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); },
      "the data, the end of the stream and connection_lost()");
  int empty = 0;
  for (const Event& e : pair.client->events) empty += e.call == Call::data_received && e.data.empty();
  CHECK_EQUAL(empty, 0, "data_received() is never called with empty data");
  CHECK_EQUAL(pair.client->received, sent, "the data arrives whole");
}

LOOPCERT_CASE("protocols.data_received.not_called_for_an_empty_stream",
              clauses("PROTO-DATA-NONEMPTY", "PROTO-SEQ-DATA-ZERO-OR-MORE")) {
  // A peer that closes without sending: data_received() is called zero
  // times (not once with nothing).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  pair.peer.reset();
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); }, "connection_lost() after the peer closed");
  CHECK_EQUAL(pair.client->count(Call::data_received), 0,
              conformance::str("no data_received() for a stream without data: ", pair.client->trace()));
  CHECK_EQUAL(sequence_problem(*pair.client), std::string(), "the calling sequence holds");
}

LOOPCERT_CASE("protocols.data_received.any_chunking", clauses("PROTO-DATA-ANY-CHUNKING").tolerance()) {
  // Chunk sizes are the transport's business: whatever the split, the
  // concatenation is the stream (the case accepts any split, 1 byte to all).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  Pattern pattern;
  for (int i = 0; i < 64; ++i) send_all(pair.peer.get(), pattern.next(1 + i * 37));
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); }, "the data and the end of the stream");
  CHECK_THAT(pattern.matches(pair.client->received),
             "the chunks concatenate to the stream, whatever their sizes");
}

// --- eof_received -------------------------------------------------------------

LOOPCERT_CASE("protocols.eof_received.on_half_close", clauses("PROTO-EOF-RECEIVED")) {
  // The peer's shutdown(SHUT_WR) (a TCP FIN) is the end of the stream:
  // eof_received() is called, after the data.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  auto pair = connect_raw(ctx, *loop, client);
  send_all(pair.peer.get(), "bye");
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return client->got_eof() || client->lost(); },
      "eof_received() after the peer's half-close");
  CHECK_THAT(client->got_eof(),
             conformance::str("eof_received() is called when the peer half-closes: ", client->trace()));
  CHECK_EQUAL(client->received, std::string("bye"), "after the data");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.eof_received.false_closes_the_transport", clauses("PROTO-EOF-RETURN-FALSE-CLOSES")) {
  // eof_received() returns false: the transport closes itself, so the
  // peer sees the end of the stream too, and connection_lost(None) follows
  // without the protocol calling close().
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  ::shutdown(pair.peer.get(), SHUT_WR);
  // Returning false from eof_received() closes the transport: the case
  // waits for connection_lost() itself (the watchdog is the only bound).
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); },
      "connection_lost() after eof_received() returned false");
  CHECK_THAT(pair.client->got_eof(), "eof_received() was called");
  CHECK_THAT(!pair.client->lost_error(), "connection_lost(None)");
  auto end = read_to_end(ctx, *loop, pair.peer.get());
  CHECK_EQUAL(end.error, 0, "the peer sees a clean end of the stream");
}

LOOPCERT_CASE("protocols.eof_received.true_keeps_writing_open", clauses("PROTO-EOF-RETURN-FALSE-CLOSES")) {
  // eof_received() returns true: the transport stays open for writing
  // until the protocol closes it; a reply written afterwards reaches the
  // peer; connection_lost() comes only after close().
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  auto pair = connect_raw(ctx, *loop, client);
  send_all(pair.peer.get(), "question");
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return client->got_eof() || client->lost(); }, "eof_received()");
  settle(ctx, *loop);
  CHECK_THAT(
      !client->lost(),
      conformance::str("the transport stays open after eof_received() returned true: ", client->trace()));
  client->transport->write(std::string_view("answer"));
  client->transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return client->lost(); });
  CHECK_EQUAL(end.data, std::string("answer"),
              "what the protocol writes after eof_received() reaches the peer");
  CHECK_THAT(!client->lost_error(), "connection_lost(None) after close()");
}

LOOPCERT_CASE("protocols.eof_received.false_still_flushes",
              clauses("PROTO-EOF-RETURN-FALSE-CLOSES", "TR-CLOSE-FLUSHES")) {
  // A reply written inside eof_received(), which then returns false: the
  // transport closes itself the way close() does, after the reply.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->on_eof = [](RecordingProtocol& p) { p.transport->write(std::string_view("last reply")); };
  auto pair = connect_raw(ctx, *loop, client);
  ::shutdown(pair.peer.get(), SHUT_WR);
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return client->lost(); });
  CHECK_EQUAL(end.data, std::string("last reply"), "the reply written in eof_received() reaches the peer");
  CHECK_EQUAL(end.error, 0, "then a clean end of the stream");
}

namespace {
/// Records connection_lost() only: eof_received() is Protocol's own.
struct DefaultEofProtocol : Protocol {
  std::shared_ptr<BaseTransport> transport;
  bool lost = false;
  std::exception_ptr error;
  void connection_made(std::shared_ptr<BaseTransport> t) override { transport = t; }
  void connection_lost(std::exception_ptr e) override {
    lost = true;
    error = e;
  }
};
}  // namespace

LOOPCERT_CASE("protocols.eof_received.default_returns_false", clauses("PROTO-EOF-DEFAULT-NONE")) {
  // The base eof_received() returns None (false here, decision D-PROTO-3):
  // a protocol that does not override it has its transport closed at the
  // peer's end of stream.
  Protocol base;
  CHECK_THAT(!base.eof_received(), "Protocol::eof_received() returns false");
  auto loop = ctx.new_loop();
  auto where = net_support::listen_on_loopback();
  auto protocol = std::make_shared<DefaultEofProtocol>();
  auto connection = ctx.run_until_complete(
      *loop,
      loop->create_connection([protocol] { return std::static_pointer_cast<Protocol>(protocol); },
                              "127.0.0.1", where.port),
      "create_connection()");
  run_until(
      ctx, *loop, [&] { return protocol->transport != nullptr; }, "connection_made()");
  // accept_from() tries again where accept() fails spuriously (EINTR,
  // EAGAIN, EMFILE): the connection is there, and the case needs it.
  auto peer = net_support::accept_from(where);
  REQUIRE_THAT(peer, "the listener accepts the connection");
  ::shutdown(peer.get(), SHUT_WR);
  // With the default eof_received(), the transport closes itself at the
  // end of the stream: the case waits for connection_lost() itself.
  run_until(
      ctx, *loop, [&] { return protocol->lost; },
      "connection_lost() after the peer's end of stream (the default eof_received() closes the transport)");
  CHECK_THAT(!protocol->error, "connection_lost(None)");
}

LOOPCERT_CASE("protocols.eof_received.tls_return_value_ignored", clauses("PROTO-EOF-TLS-IGNORED")) {
  // Over TLS the transport closes at the end of the stream even when
  // eof_received() returns true: the PEP ignores the return value there,
  // since TLS closes the connection on a "closure alert" (whether a TLS
  // transport can send one with write_eof() is another matter, D-NET-5).
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  peer->eof_result = true;
  ConnectionOptions tls{.ssl = pki.client_context(), .server_hostname = "localhost"};
  auto pair =
      connect_pair(ctx, *loop, client, peer, ServerOptions{.ssl = pki.server_context()}, std::move(tls));
  client->transport->write(std::string_view("over tls"));
  client->transport->close();
  // A TLS transport closes at the end of the stream whatever
  // eof_received() returns: the case waits for connection_lost() itself.
  run_until(
      ctx, *loop, [&] { return peer->lost(); },
      "the server side's connection_lost() although eof_received() returned true");
  CHECK_EQUAL(peer->received, std::string("over tls"), "the data arrives first");
  pair.close(ctx, *loop);
}

// --- connection_lost's argument ----------------------------------------------

LOOPCERT_CASE("protocols.connection_lost.none_after_clean_remote_close",
              clauses("PROTO-CONNECTION-LOST-ARG")) {
  // The peer closes cleanly (FIN): connection_lost(None).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  send_all(pair.peer.get(), "done");
  pair.peer.reset();
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); }, "connection_lost() after the peer closed");
  CHECK_THAT(!pair.client->lost_error(), "connection_lost(None) after a clean close by the peer");
}

LOOPCERT_CASE("protocols.connection_lost.none_after_local_close", clauses("PROTO-CONNECTION-LOST-ARG")) {
  // close() on either end of a loop pair: connection_lost(None) on both.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  pair.client->transport->write(std::string_view("x"));
  pair.client->transport->close();
  run_until(
      ctx, *loop, [&] { return pair.client->lost() && pair.peer->lost(); }, "connection_lost() on both ends");
  CHECK_THAT(!pair.client->lost_error(), "connection_lost(None) after close()");
  CHECK_THAT(!pair.peer->lost_error(), "connection_lost(None) on the peer after its clean end of stream");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.connection_lost.error_after_reset", clauses("PROTO-CONNECTION-LOST-ARG")) {
  // The peer resets the connection (RST): connection_lost(exc) with the
  // error, not None.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  reset(pair.peer);
  run_until(
      ctx, *loop, [&] { return pair.client->lost(); }, "connection_lost() after a reset");
  CHECK_THAT(pair.client->lost_error() != nullptr, "connection_lost() gets the error after a reset");
  CHECK_EQUAL(sequence_problem(*pair.client), std::string(), "the calling sequence holds");
}

LOOPCERT_CASE("protocols.connection_lost.error_after_reset_while_writing",
              clauses("PROTO-CONNECTION-LOST-ARG", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // A reset while the transport has data buffered for a peer that does
  // not read: one connection_lost(), with the error.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.eof_result = true;
  Pattern pattern;
  fill(*p.transport, pattern, 512 * 1024);
  reset(pair.peer);
  run_until(
      ctx, *loop, [&] { return p.lost(); }, "connection_lost() after a reset");
  settle(ctx, *loop);
  CHECK_THAT(p.lost_error() != nullptr, "connection_lost() gets the error");
  CHECK_EQUAL(p.count(Call::connection_lost), 1, "connection_lost() is called once");
}
