// Stream transports (PEP 3156, "Bidirectional Stream Transports"), over
// TCP on 127.0.0.1. The peer is either the loop's own server side
// (connect_pair) or a socket of the case's (connect_raw, kSlowPeer) when the
// case must control it exactly: a peer that does not read, half-closes or
// resets.
//
// This file: close() and abort().
#include <sys/socket.h>

#include <array>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

// --- close() -----------------------------------------------------------------

LOOPCERT_CASE("transports.close.flushes_buffered_data",
              clauses("TR-CLOSE-FLUSHES", "TR-CLOSE-CONNECTION-LOST-NONE", "TR-CLOSE-NONBLOCKING")) {
  // The bug class of transports that drop their buffer on close(): 1 MiB
  // more than the kernel took is buffered when close() is called. close()
  // returns at once; connection_lost() waits for the flush (the peer does
  // not read yet); then the peer reads every byte, in order, and a clean
  // end of stream, and connection_lost(None) comes once.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  Pattern pattern;
  // A transport may buffer what the kernel still has room for (a send
  // operation in flight, a spurious EAGAIN: decision D-TR-12), and hand it
  // over while the loop runs: write until 1 MiB stays buffered.
  for (int round = 0; round < 16 && p.transport->get_write_buffer_size() < (1u << 20); ++round) {
    fill(*p.transport, pattern, 1u << 20);
    settle(ctx, *loop);
  }
  p.call([&] { p.transport->close(); });
  CHECK_THAT(!p.lost(), "connection_lost() is not called inside close()");
  settle(ctx, *loop);
  CHECK_THAT(!p.lost(), "connection_lost() waits until the buffered data is flushed");
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  CHECK_THAT(pattern.matches(end.data),
             conformance::str("close() delivers all ", pattern.total(), " written bytes (the peer got ",
                              end.data.size(), ")"));
  CHECK_EQUAL(end.error, 0, "then a clean end of the stream");
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::connection_lost), 1, "connection_lost() is called once");
  CHECK_THAT(!p.lost_error(), "connection_lost(None) after close()");
}

LOOPCERT_CASE("transports.close.flushes_to_a_loop_peer", clauses("TR-CLOSE-FLUSHES")) {
  // The same with the loop's own server side, which pauses reading until
  // the client has closed: it then receives every byte and eof_received().
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  pair.peer->transport->pause_reading();
  Pattern pattern;
  fill(*pair.client->transport, pattern, 1u << 20);
  pair.client->transport->close();
  pair.peer->transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return pair.peer->lost() && pair.client->lost(); },
      "the server side to read everything and lose the connection");
  CHECK_THAT(pattern.matches(pair.peer->received),
             conformance::str("close() delivers all ", pattern.total(), " written bytes (the peer got ",
                              pair.peer->received.size(), ")"));
  CHECK_THAT(pair.peer->got_eof(), "the peer sees the end of the stream after the data");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.close.write_afterwards_sends_nothing", clauses("TR-CLOSE-FLUSHES")) {
  // The PEP is silent on write() after close() (decision D-TR-2): each call
  // may raise, be ignored or send. The kit checks only that what was
  // written before close() reaches the peer whole and in order, then the
  // end of the stream; the post-close bytes may follow it, exactly, or not.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& t = *pair.client->transport;
  t.write(std::string_view("before"));
  t.close();
  std::string after;
  try {
    t.write(std::string_view("AFTER"));
    after += "AFTER";
  } catch (...) {
  }
  try {
    std::array<BytesView, 1> more = {as_bytes("LINES")};
    t.writelines(more);
    after += "LINES";
  } catch (...) {
  }
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  CHECK_THAT(
      end.data == "before" || end.data == "before" + after,
      conformance::str("what was written before close() reaches the peer whole, optionally followed by "
                       "exactly what was written after it (got \"",
                       end.data, "\")"));
  may_throw([&] { t.write(std::string_view("LOST")); });
  settle(ctx, *loop);
  CHECK_EQUAL(pair.client->count(Call::connection_lost), 1, "connection_lost() once");
}

LOOPCERT_CASE("transports.close.write_afterwards_with_buffer", clauses("TR-CLOSE-FLUSHES")) {
  // With data still buffered at close(), a later write() may raise, be
  // ignored or send (decision D-TR-2): the peer gets the whole pattern,
  // optionally followed by exactly the post-close bytes.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& t = *pair.client->transport;
  Pattern pattern;
  fill(t, pattern, 512 * 1024);
  t.close();
  const std::string after = "AFTER CLOSE";
  may_throw([&] { t.write(std::string_view(after)); });
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  bool intact = pattern.matches(end.data);
  if (!intact && end.data.size() == pattern.total() + after.size() && end.data.ends_with(after))
    intact = pattern.matches(end.data.substr(0, pattern.total()));
  CHECK_THAT(intact,
             conformance::str("the peer receives the ", pattern.total(),
                              " bytes written before close(), whole and in order, optionally followed "
                              "by exactly the post-close bytes (got ",
                              end.data.size(), ")"));
}

LOOPCERT_CASE("transports.close.stops_data_received", clauses("TR-CLOSE-STOPS-READING")) {
  // The protocol closes inside its first data_received() while the peer
  // keeps sending: no data_received() after close().
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  std::size_t closed_at = 0;
  int peer_fd = -1;
  client->on_data = [&](RecordingProtocol& p, std::string_view) {
    if (closed_at != 0) return;
    p.transport->close();
    closed_at = p.events.size();
    send_all(peer_fd, "more data after close");
  };
  auto pair = connect_raw(ctx, *loop, client);
  peer_fd = pair.peer.get();
  send_all(peer_fd, "first");
  run_until(
      ctx, *loop, [&] { return client->lost(); }, "connection_lost() after close() in data_received()");
  settle(ctx, *loop);
  CHECK_EQUAL(client->count_since(closed_at, Call::data_received), 0,
              conformance::str("data_received() is never called after close(): ", client->trace()));
}

LOOPCERT_CASE("transports.close.drops_held_data", clauses("TR-CLOSE-STOPS-READING")) {
  // Data held by pause_reading() when close() is called is never
  // delivered, not even if resume_reading() is called after close().
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& p = *pair.client;
  p.transport->pause_reading();
  send_all(pair.peer.get(), "held");
  settle(ctx, *loop);
  p.transport->close();
  may_throw([&] { p.transport->resume_reading(); });
  run_until(
      ctx, *loop, [&] { return p.lost(); }, "connection_lost() after close()");
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::data_received), 0,
              conformance::str("no data_received() after close(): ", p.trace()));
}

LOOPCERT_CASE("transports.close.connection_lost_none_once",
              clauses("TR-CLOSE-CONNECTION-LOST-NONE", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // Nothing buffered: close() leads to connection_lost(None), exactly once,
  // on both ends' terms (the peer sees a clean end of stream).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  pair.client->transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  settle(ctx, *loop);
  CHECK_EQUAL(end.error, 0, "the peer sees a clean end of the stream");
  CHECK_EQUAL(pair.client->count(Call::connection_lost), 1, "connection_lost() is called once");
  CHECK_THAT(!pair.client->lost_error(), "with None");
}

LOOPCERT_CASE("transports.close.twice_connection_lost_once", clauses("TR-CLOSE-CONNECTION-LOST-NONE")) {
  // close() twice still means one connection_lost(None).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& t = *pair.client->transport;
  t.write(std::string_view("x"));
  t.close();
  t.close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  settle(ctx, *loop);
  CHECK_EQUAL(end.data, std::string("x"), "the data written before close() arrives");
  CHECK_EQUAL(pair.client->count(Call::connection_lost), 1, "connection_lost() is called once");
  CHECK_THAT(!pair.client->lost_error(), "with None");
}

LOOPCERT_CASE("transports.close.returns_before_connection_lost", clauses("TR-CLOSE-NONBLOCKING")) {
  // close() from a loop callback with nothing buffered: connection_lost()
  // comes later, from the loop, never inside close() (decision D-TR-5).
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  bool lost_inside = true;
  loop->call_soon([&] {
    pair.client->call([&] { pair.client->transport->close(); });
    lost_inside = pair.client->lost();
  });
  run_until(
      ctx, *loop, [&] { return pair.client->lost() && pair.peer->lost(); },
      "connection_lost() after close()");
  CHECK_THAT(!lost_inside, "close() returns before connection_lost() is called");
  CHECK_EQUAL(context_problem(*pair.client), std::string(), "connection_lost() is not called inside close()");
  pair.close(ctx, *loop);
}

// --- abort() -----------------------------------------------------------------

LOOPCERT_CASE("transports.abort.discards_buffer", clauses("TR-ABORT")) {
  // 1 MiB buffered for a peer that does not read: abort() does not wait for
  // it (connection_lost(None) comes while the peer still reads nothing),
  // and the peer never gets all of it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  Pattern pattern;
  fill(*p.transport, pattern, 1u << 20);
  p.call([&] { p.transport->abort(); });
  CHECK_THAT(!p.lost(), "connection_lost() is not called inside abort()");
  run_until(
      ctx, *loop, [&] { return p.lost(); }, "connection_lost() soon after abort(), without the peer reading");
  CHECK_THAT(!p.lost_error(), "connection_lost(None) after abort()");
  bool eof = false;
  std::string got;
  while (!eof) got += read_available(pair.peer.get(), eof);
  CHECK_THAT(pattern.prefix_of(got), "what the peer got before the abort is in order");
  CHECK_THAT(got.size() < pattern.total(), "abort() discards the buffered data");
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::connection_lost), 1, "connection_lost() is called once");
}

LOOPCERT_CASE("transports.abort.idle_connection", clauses("TR-ABORT", "PROTO-CONNECTION-LOST-ARG")) {
  // abort() with nothing buffered: the connection ends (the peer sees its
  // end, clean or reset) and connection_lost(None) follows, once.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  pair.client->transport->abort();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  settle(ctx, *loop);
  CHECK_EQUAL(end.data, std::string(), "nothing was written");
  CHECK_EQUAL(pair.client->count(Call::connection_lost), 1, "connection_lost() is called once");
  CHECK_THAT(!pair.client->lost_error(), "connection_lost(None) after abort()");
}

LOOPCERT_CASE("transports.abort.after_close_does_not_wait",
              clauses("TR-ABORT", "PROTO-SEQ-CONNECTION-LOST-ONCE")) {
  // close() with data buffered for a peer that does not read would wait
  // for the flush; abort() then severs at once: connection_lost(None) comes
  // without the peer reading, and only once.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  Pattern pattern;
  fill(*p.transport, pattern, 1u << 20);
  p.transport->close();
  settle(ctx, *loop);
  p.transport->abort();
  run_until(
      ctx, *loop, [&] { return p.lost(); }, "connection_lost() after abort(), without the peer reading");
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::connection_lost), 1, "connection_lost() is called once");
  CHECK_THAT(!p.lost_error(), "with None");
}

LOOPCERT_CASE("transports.abort.stops_data_received", clauses("TR-ABORT")) {
  // abort() inside data_received() while the peer keeps sending: nothing
  // more is delivered, and connection_lost(None) follows.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  std::size_t aborted_at = 0;
  int peer_fd = -1;
  client->on_data = [&](RecordingProtocol& p, std::string_view) {
    if (aborted_at != 0) return;
    p.transport->abort();
    aborted_at = p.events.size();
    send_all(peer_fd, "more data after abort");
  };
  auto pair = connect_raw(ctx, *loop, client);
  peer_fd = pair.peer.get();
  send_all(peer_fd, "first");
  run_until(
      ctx, *loop, [&] { return client->lost(); }, "connection_lost() after abort()");
  settle(ctx, *loop);
  CHECK_EQUAL(client->count_since(aborted_at, Call::data_received), 0,
              conformance::str("no data_received() after abort(): ", client->trace()));
  CHECK_THAT(!client->lost_error(), "connection_lost(None) after abort()");
}
