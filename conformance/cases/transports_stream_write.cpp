// Stream transports (PEP 3156, "Bidirectional Stream Transports"), over
// TCP on 127.0.0.1. The peer is either the loop's own server side
// (connect_pair) or a socket of the case's (connect_raw, kSlowPeer) when the
// case must control it exactly: a peer that does not read, half-closes or
// resets.
//
// This file: write(), writelines(), write_eof() and can_write_eof().
#include <sys/socket.h>

#include <array>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

// --- write() -----------------------------------------------------------------

LOOPCERT_CASE("transports.write.copies_the_bytes", clauses("TR-WRITE-BYTES-NONE")) {
  // write() takes bytes, an immutable value: the caller's buffer changing
  // after write() returns must not change what is sent (decision D-PROTO-4:
  // the bytes are copied before write() returns).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  std::string buffer = "original";
  pair.client->transport->write(std::string_view(buffer));
  buffer.assign("CHANGED!");
  pair.client->transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  CHECK_EQUAL(end.data, std::string("original"),
              "the peer receives the bytes as they were when write() was called");
}

LOOPCERT_CASE("transports.write.empty_bytes_send_nothing",
              clauses("TR-WRITE-BYTES-NONE", "PROTO-DATA-NONEMPTY")) {
  // b'' is bytes too: write() accepts it and it adds nothing to the stream;
  // the peer's protocol never sees an empty data_received().
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  auto& t = *pair.client->transport;
  t.write(std::string_view(""));
  t.write(std::string_view("a"));
  t.write(std::string_view(""));
  t.write(std::string_view("b"));
  t.write_eof();
  run_until(
      ctx, *loop, [&] { return pair.peer->got_eof(); }, "the server side's eof_received()");
  CHECK_EQUAL(pair.peer->received, std::string("ab"), "empty writes add nothing to the stream");
  CHECK_EQUAL(sequence_problem(*pair.peer, Lost::optional), std::string(), "data_received() is never empty");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write.returns_while_peer_does_not_read",
              clauses("TR-WRITE-RETURNS-IMMEDIATELY", "TR-WRITE-BYTES-NONE")) {
  // 2 MiB, far more than the kernel takes from a peer that does not read:
  // write() buffers the rest and returns. It runs in a loop callback so
  // that a write() that waited for the peer fails the case (watchdog)
  // instead of hanging it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  Pattern pattern;
  bool returned = false;
  loop->call_soon([&] {
    pair.client->transport->write(pattern.next(2u << 20));
    returned = true;
  });
  run_until(
      ctx, *loop, [&] { return returned; }, "write() of 2 MiB to a peer that does not read to return");
  CHECK_THAT(returned, "write() returns without waiting for the peer");
  pair.client->transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  CHECK_THAT(pattern.matches(end.data), "the buffered bytes all reach the peer once it reads");
}

LOOPCERT_CASE("transports.write.delivers_every_byte_in_order", clauses("TR-WRITE-DELIVERY")) {
  // 1 MiB in writes of varying sizes (1 byte to 16 KiB) arrives whole and
  // in order at the loop's own server side.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  Pattern pattern;
  for (std::size_t i = 0; pattern.total() < (1u << 20); ++i)
    pair.client->transport->write(pattern.next(1 + (i * 7919) % 16384));
  pair.client->transport->write_eof();
  run_until(
      ctx, *loop, [&] { return pair.peer->got_eof() || pair.peer->lost(); },
      "the server side to receive 1 MiB and the end of the stream");
  CHECK_EQUAL(pair.peer->received.size(), pattern.total(), "every written byte reaches the peer");
  CHECK_THAT(pattern.matches(pair.peer->received), "the bytes arrive in the order they were written");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write.delivers_both_ways_at_once", clauses("TR-WRITE-DELIVERY")) {
  // Both ends write 512 KiB at the same time; each receives the other's
  // stream intact.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  Pattern up, down;
  pair.client->transport->write(up.next(512 * 1024));
  pair.peer->transport->write(down.next(512 * 1024));
  run_until(
      ctx, *loop,
      [&] {
        return pair.peer->received.size() >= up.total() && pair.client->received.size() >= down.total();
      },
      "both ends to receive 512 KiB");
  CHECK_THAT(up.matches(pair.peer->received), "the client's bytes reach the server side in order");
  CHECK_THAT(down.matches(pair.client->received), "the server side's bytes reach the client in order");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write.no_message_boundaries", clauses("TR-WRITE-STREAM-EQUIV")) {
  // "t.write(b'abc'); t.write(b'def') is equivalent to t.write(b'abcdef')",
  // and to six 1-byte writes: the peer reads the same stream each time.
  auto loop = ctx.new_loop();
  std::vector<std::vector<std::string>> ways = {{"abc", "def"}, {"abcdef"}, {"a", "b", "c", "d", "e", "f"}};
  for (const auto& writes : ways) {
    auto pair = connect_raw(ctx, *loop);
    for (const auto& piece : writes) pair.client->transport->write(std::string_view(piece));
    pair.client->transport->close();
    auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
    CHECK_EQUAL(end.data, std::string("abcdef"),
                conformance::str("the peer reads the same stream after ", writes.size(), " write() calls"));
    CHECK_EQUAL(end.error, 0, "then the end of the stream");
  }
}

LOOPCERT_CASE("transports.write.many_one_byte_writes",
              clauses("TR-WRITE-STREAM-EQUIV", "TR-WRITE-DELIVERY")) {
  // 20000 one-byte writes make one stream of 20000 bytes.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  Pattern pattern;
  for (int i = 0; i < 20000; ++i) pair.client->transport->write(pattern.next(1));
  run_until(
      ctx, *loop, [&] { return pair.peer->received.size() >= pattern.total(); },
      "the server side to receive 20000 bytes");
  CHECK_THAT(pattern.matches(pair.peer->received), "one-byte writes make one stream, in order");
  pair.close(ctx, *loop);
}

// --- writelines() ------------------------------------------------------------

LOOPCERT_CASE("transports.writelines.concatenates", clauses("TR-WRITELINES")) {
  // writelines(seq) is write() of each element in turn: empty elements add
  // nothing, and no separator is added.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  std::array<BytesView, 4> lines = {as_bytes("ab"), as_bytes(""), as_bytes("cd"), as_bytes("ef")};
  pair.client->transport->writelines(lines);
  pair.client->transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  CHECK_EQUAL(end.data, std::string("abcdef"), "writelines() sends the elements one after another");
}

LOOPCERT_CASE("transports.writelines.in_order_with_write", clauses("TR-WRITELINES")) {
  // Mixed with write() (and an empty sequence), writelines() keeps its
  // place in the stream.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& t = *pair.client->transport;
  std::array<BytesView, 2> middle = {as_bytes("2"), as_bytes("3")};
  t.write(std::string_view("1"));
  t.writelines(middle);
  t.writelines(std::span<const BytesView>());
  t.write(std::string_view("4"));
  t.close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  CHECK_EQUAL(end.data, std::string("1234"),
              "writelines() is equivalent to write() of each element in order");
}

LOOPCERT_CASE("transports.writelines.large_while_peer_does_not_read", clauses("TR-WRITELINES")) {
  // Elements well beyond what the kernel takes are buffered like write()'s,
  // copied before writelines() returns, and all arrive in order.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  Pattern pattern;
  std::vector<std::string> storage;
  for (int i = 0; i < 16; ++i) storage.push_back(pattern.next(128 * 1024 + 13));
  std::vector<BytesView> lines;
  for (const auto& s : storage) lines.push_back(as_bytes(s));
  pair.client->transport->writelines(lines);
  for (auto& s : storage) s.assign(s.size(), 'X');
  pair.client->transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return pair.client->lost(); });
  CHECK_THAT(pattern.matches(end.data),
             "every element arrives, in order, as it was when writelines() was called");
}

// --- write_eof() and can_write_eof() ----------------------------------------

LOOPCERT_CASE("transports.write_eof.peer_reads_data_then_eof", clauses("TR-WRITE-EOF")) {
  // write_eof() "after flushing buffered data": the peer reads what was
  // written, then the end of the stream.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  pair.client->eof_result = true;
  pair.client->transport->write(std::string_view("hello"));
  pair.client->transport->write_eof();
  auto end = read_to_end(ctx, *loop, pair.peer.get());
  CHECK_EQUAL(end.data, std::string("hello"), "the peer reads the data written before write_eof()");
  CHECK_EQUAL(end.error, 0, "then a clean end of the stream");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write_eof.reading_goes_on", clauses("TR-WRITE-EOF")) {
  // A half-close: after write_eof() the transport still receives what the
  // peer sends, and then the peer's own end of the stream.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  pair.client->transport->write_eof();
  auto end = read_to_end(ctx, *loop, pair.peer.get());
  CHECK_EQUAL(end.error, 0, "the peer sees the end of the stream");
  send_all(pair.peer.get(), "reply");
  ::shutdown(pair.peer.get(), SHUT_WR);
  run_until(
      ctx, *loop, [&] { return pair.client->got_eof() || pair.client->lost(); },
      "the client to receive the peer's reply and end of stream");
  CHECK_EQUAL(pair.client->received, std::string("reply"), "data_received() still works after write_eof()");
  CHECK_THAT(pair.client->got_eof(), "eof_received() follows the peer's half-close");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write_eof.after_buffered_data", clauses("TR-WRITE-EOF")) {
  // With much more buffered than the kernel took, the end of the stream
  // comes only after the last buffered byte.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->eof_result = true;
  auto pair = connect_raw(ctx, *loop, client, kSlowPeer);
  Pattern pattern;
  fill(*client->transport, pattern, 1u << 20);
  client->transport->write_eof();
  auto end = read_to_end(ctx, *loop, pair.peer.get());
  CHECK_THAT(pattern.matches(end.data), "every buffered byte reaches the peer before the end of the stream");
  CHECK_EQUAL(end.error, 0, "then a clean end of the stream");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write_eof.loop_peer_gets_eof_and_replies",
              clauses("TR-WRITE-EOF", "PROTO-EOF-RECEIVED")) {
  // Both ends on the loop: the server side's eof_received() follows the
  // client's data; keeping its write half open, it replies, and the client
  // (which half-closed) still receives the reply.
  auto loop = ctx.new_loop();
  auto peer = std::make_shared<RecordingProtocol>();
  peer->eof_result = true;
  peer->on_eof = [](RecordingProtocol& p) {
    p.transport->write(std::string_view("got "));
    p.transport->write(std::string_view(p.received));
    p.transport->close();
  };
  auto pair = connect_pair(ctx, *loop, std::make_shared<RecordingProtocol>(), peer);
  pair.client->transport->write(std::string_view("question"));
  pair.client->transport->write_eof();
  run_until(
      ctx, *loop, [&] { return pair.client->lost() && peer->lost(); },
      "the reply and both connection_lost()");
  CHECK_EQUAL(peer->received, std::string("question"),
              "the server side receives the data before eof_received()");
  CHECK_THAT(peer->got_eof(), "the server side's eof_received() is called after write_eof()");
  CHECK_EQUAL(pair.client->received, std::string("got question"), "the half-closed client still receives");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.can_write_eof.tcp_is_true", clauses("TR-CAN-WRITE-EOF")) {
  // TCP can half-close: can_write_eof() is true on both ends, and
  // write_eof() then works (it does not raise).
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  client->eof_result = peer->eof_result = true;
  auto pair = connect_pair(ctx, *loop, client, peer);
  CHECK_THAT(client->transport->can_write_eof(), "a TCP client transport can write EOF");
  CHECK_THAT(peer->transport->can_write_eof(), "a TCP server-side transport can write EOF");
  client->transport->write_eof();
  peer->transport->write_eof();
  run_until(
      ctx, *loop, [&] { return client->got_eof() && peer->got_eof(); }, "eof_received() on both ends");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write_eof.tls_as_can_write_eof_says",
              clauses("TR-CAN-WRITE-EOF", "TR-WRITE-EOF-UNSUPPORTED")) {
  // The PEP lets "some protocols" refuse write_eof() and never says TLS is
  // one (decision D-NET-5): a TLS transport may half-close or not, as long
  // as can_write_eof() says which. If it says False, write_eof() raises (any
  // exception); if True, write_eof() works and the peer sees the end.
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto peer = std::make_shared<RecordingProtocol>();
  peer->eof_result = true;
  ConnectionOptions tls{.ssl = pki.client_context(), .server_hostname = "localhost"};
  auto pair =
      connect_pair(ctx, *loop, client, peer, ServerOptions{.ssl = pki.server_context()}, std::move(tls));
  if (!client->transport->can_write_eof()) {
    ctx.expect_throw<std::exception>([&] { client->transport->write_eof(); },
                                     "write_eof() on a TLS transport whose can_write_eof() is False");
  } else {
    try {
      client->transport->write_eof();
    } catch (...) {
      ctx.fail("write_eof() on a TLS transport whose can_write_eof() is True raises: " +
               conformance::Context::describe_current_exception());
    }
    run_until(
        ctx, *loop, [&] { return peer->got_eof() || peer->lost(); },
        "the peer to see the end of what a TLS client wrote before write_eof()");
    CHECK_THAT(peer->got_eof(),
               "after write_eof() on a TLS client whose can_write_eof() is True, the peer "
               "gets eof_received()");
  }
  pair.close(ctx, *loop);
}
