// Stream transports (PEP 3156, "Methods For All Transports", "Bidirectional
// Stream Transports"): write() and its relatives, half-close, the write
// buffer and its water marks, pausing reading, close() and abort(), over
// TCP on 127.0.0.1. The peer is either the loop's own server side
// (connect_pair) or a socket of the case's (connect_raw) when the case must
// control it exactly: a peer that does not read, half-closes or resets.
#include <sys/socket.h>

#include <any>
#include <array>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

namespace {

/// A peer whose receive buffer is small, so that the kernel takes little of
/// what the client writes while the peer does not read.
constexpr RawOptions kSlowPeer{.peer_rcvbuf = 4096};

}  // namespace

// --- get_extra_info ----------------------------------------------------------

LOOPCERT_CASE("transports.extra_info.unknown_name_gives_default", clauses("TR-EXTRA-INFO-DEFAULT")) {
  // "For an unsupported name, the default is always returned": on both ends
  // of a connection, untyped (an empty std::any is the default None) and
  // with a fallback of the caller's.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  for (auto* p : {pair.client.get(), pair.peer.get()}) {
    CHECK_THAT(!p->transport->get_extra_info("loopcert-no-such-name").has_value(),
               "get_extra_info() of an unsupported name returns the default None");
    CHECK_EQUAL(p->transport->get_extra_info<int>("loopcert-no-such-name", 42), 42,
                "get_extra_info(name, default) returns the default for an unsupported name");
    CHECK_EQUAL(p->transport->get_extra_info<std::string>("", "fallback"), std::string("fallback"),
                "get_extra_info(\"\", default) returns the default");
  }
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.extra_info.default_after_close", clauses("TR-EXTRA-INFO-DEFAULT")) {
  // "Always": also once the transport is closed and its connection lost
  // (decision D-TR-1: get_extra_info() still answers).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  pair.close(ctx, *loop);
  CHECK_EQUAL(pair.client->transport->get_extra_info<int>("loopcert-no-such-name", 7), 7,
              "get_extra_info(name, default) returns the default after close()");
  CHECK_THAT(!pair.client->transport->get_extra_info("loopcert-no-such-name").has_value(),
             "get_extra_info() of an unsupported name returns None after close()");
}

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

LOOPCERT_CASE("transports.can_write_eof.tls_is_false", clauses("TR-CAN-WRITE-EOF")) {
  // TLS cannot half-close: can_write_eof() is false on both ends of a TLS
  // connection (decision D-NET-5).
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  ConnectionOptions tls{.ssl = pki.client_context(), .server_hostname = "localhost"};
  auto pair =
      connect_pair(ctx, *loop, std::make_shared<RecordingProtocol>(), std::make_shared<RecordingProtocol>(),
                   ServerOptions{.ssl = pki.server_context()}, std::move(tls));
  CHECK_THAT(!pair.client->transport->can_write_eof(), "a TLS client transport cannot write EOF");
  CHECK_THAT(!pair.peer->transport->can_write_eof(), "a TLS server-side transport cannot write EOF");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write_eof.tls_raises", clauses("TR-WRITE-EOF-UNSUPPORTED")) {
  // write_eof() on a transport that cannot half-close (TLS) raises (the kit
  // accepts any exception, decision D-NET-5).
  net_support::TestPki pki(ctx);
  auto loop = ctx.new_loop();
  ConnectionOptions tls{.ssl = pki.client_context(), .server_hostname = "localhost"};
  auto pair =
      connect_pair(ctx, *loop, std::make_shared<RecordingProtocol>(), std::make_shared<RecordingProtocol>(),
                   ServerOptions{.ssl = pki.server_context()}, std::move(tls));
  ctx.expect_throw<std::exception>([&] { pair.client->transport->write_eof(); },
                                   "write_eof() on a TLS transport");
  pair.close(ctx, *loop);
}

// --- get_write_buffer_size() --------------------------------------------------

LOOPCERT_CASE("transports.write_buffer_size.zero_when_drained", clauses("TR-WRITE-BUFFER-SIZE")) {
  // Nothing written: 0. Written and received by the peer: 0 again.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  auto& t = *pair.client->transport;
  CHECK_EQUAL(t.get_write_buffer_size(), std::size_t{0}, "a new transport's buffer is empty");
  Pattern pattern;
  t.write(pattern.next(300 * 1000));
  run_until(
      ctx, *loop, [&] { return pair.peer->received.size() >= pattern.total(); },
      "the server side to receive 300 kB");
  CHECK_EQUAL(t.get_write_buffer_size(), std::size_t{0}, "the buffer is empty once everything was sent");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.write_buffer_size.counts_unsent_bytes", clauses("TR-WRITE-BUFFER-SIZE")) {
  // A peer that does not read: what the kernel did not take stays in the
  // transport's buffer, and the size says so (more than 0, never more than
  // was written); once the peer read everything, it is 0.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& t = *pair.client->transport;
  Pattern pattern;
  std::size_t written = fill(t, pattern, 512 * 1024);
  std::size_t buffered = t.get_write_buffer_size();
  CHECK_THAT(buffered > 0, conformance::str("after ", written,
                                            " bytes to a peer that does not read, the buffer holds some"));
  CHECK_THAT(buffered <= written,
             conformance::str("the buffer holds no more than was written (", buffered, " > ", written, ")"));
  settle(ctx, *loop);
  CHECK_THAT(t.get_write_buffer_size() > 0, "the buffer stays non-empty while the peer does not read");
  PeerReader reader(pair.peer.get());
  run_until(
      ctx, *loop, [&] { return t.get_write_buffer_size() == 0; }, "the buffer to drain as the peer reads");
  t.close();
  run_until(
      ctx, *loop, [&] { return reader.done() && pair.client->lost(); }, "the peer to read everything");
  reader.join(ctx);
  CHECK_THAT(pattern.matches(reader.data), "the peer receives every byte");
}

// --- set_write_buffer_limits() ------------------------------------------------

LOOPCERT_CASE("transports.limits.low_above_high_rejected", clauses("TR-LIMITS-VALIDATION")) {
  // "the low-water limit must be less than or equal to the high-water
  // limit" (decision D-TR-3: any exception); valid pairs are accepted.
  // Negative values cannot be written (size_t).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& t = *pair.client->transport;
  ctx.expect_throw<std::exception>([&] { t.set_write_buffer_limits(100, 200); },
                                   "set_write_buffer_limits(100, 200)");
  ctx.expect_throw<std::exception>([&] { t.set_write_buffer_limits(0, 1); }, "set_write_buffer_limits(0, 1)");
  try {
    t.set_write_buffer_limits(200, 100);
    t.set_write_buffer_limits(100, 100);
    t.set_write_buffer_limits(0, 0);
    t.set_write_buffer_limits(1000);
    t.set_write_buffer_limits();
  } catch (...) {
    ctx.fail("set_write_buffer_limits() rejects valid limits: " +
             conformance::Context::describe_current_exception());
  }
  pair.close(ctx, *loop);
}

namespace {

/// Writes to a peer that does not read until the protocol is paused (or
/// the buffer passed `beyond` bytes), then lets the loop run a little so
/// that a pause_writing() coming from the loop has come.
void write_until_paused(conformance::Context& ctx, AbstractEventLoop& loop, RecordingProtocol& p,
                        Pattern& pattern, std::size_t beyond) {
  auto& t = *p.transport;
  for (int i = 0; i < 512 && !p.paused() && t.get_write_buffer_size() <= beyond; ++i)
    t.write(pattern.next(64 * 1024));
  settle(ctx, loop);
}

}  // namespace

LOOPCERT_CASE("transports.limits.pause_over_high_resume_at_low",
              clauses("TR-LIMITS-DRIVE-FLOW-CONTROL", "PROTO-PAUSE-WRITING")) {
  // high 64 KiB, low 16 KiB: pause_writing() comes once the buffer is over
  // 64 KiB, resume_writing() once it is down to 16 KiB or less.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(64 * 1024, 16 * 1024);
  Pattern pattern;
  write_until_paused(ctx, *loop, p, pattern, 1u << 20);
  REQUIRE_EQUAL(p.count(Call::pause_writing), 1,
                "pause_writing() is called once the buffer is over the high-water mark");
  CHECK_THAT(p.events.back().call != Call::pause_writing || p.events.back().buffered > 64 * 1024,
             conformance::str("pause_writing() comes only above the high-water mark: ", p.trace()));
  PeerReader reader(pair.peer.get());
  run_until(
      ctx, *loop, [&] { return p.count(Call::resume_writing) > 0; }, "resume_writing() as the peer reads");
  for (const Event& e : p.events) {
    if (e.call == Call::pause_writing)
      CHECK_THAT(e.buffered > 64 * 1024,
                 conformance::str("pause_writing() with ", e.buffered, " bytes buffered (high 65536)"));
    if (e.call == Call::resume_writing)
      CHECK_THAT(e.buffered <= 16 * 1024,
                 conformance::str("resume_writing() with ", e.buffered, " bytes buffered (low 16384)"));
  }
  p.transport->close();
  run_until(
      ctx, *loop, [&] { return reader.done() && p.lost(); }, "the peer to read everything");
  reader.join(ctx);
  CHECK_THAT(pattern.matches(reader.data), "the peer receives every byte");
}

LOOPCERT_CASE("transports.limits.no_pause_at_or_below_high", clauses("TR-LIMITS-DRIVE-FLOW-CONTROL")) {
  // high 8 MiB: 256 KiB to a peer that does not read never crosses it, so
  // pause_writing() is never called.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(8u << 20, 1u << 20);
  Pattern pattern;
  for (int i = 0; i < 4; ++i) p.transport->write(pattern.next(64 * 1024));
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::pause_writing), 0, "pause_writing() is not called below the high-water mark");
  p.transport->close();
  read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  CHECK_EQUAL(p.count(Call::pause_writing), 0, "nor as the buffer drains");
  CHECK_EQUAL(p.count(Call::resume_writing), 0, "and resume_writing() is not called without a pause");
}

LOOPCERT_CASE("transports.limits.lowered_high_applies", clauses("TR-LIMITS-DRIVE-FLOW-CONTROL")) {
  // The marks decide: with a high-water mark of 4 KiB, a little data the
  // kernel does not take is enough for pause_writing().
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(4096, 1024);
  Pattern pattern;
  write_until_paused(ctx, *loop, p, pattern, 1u << 20);
  CHECK_EQUAL(p.count(Call::pause_writing), 1,
              "pause_writing() once the buffer is over a 4 KiB high-water mark");
  p.transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  CHECK_THAT(pattern.matches(end.data), "the peer receives every byte");
}

LOOPCERT_CASE("transports.limits.high_zero_pauses_when_not_empty", clauses("TR-LIMITS-HIGH-ZERO")) {
  // set_write_buffer_limits(0): low is 0 too; pause_writing() as soon as
  // anything is buffered, resume_writing() only once it is all sent.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(0);
  Pattern pattern;
  write_until_paused(ctx, *loop, p, pattern, 1u << 20);
  REQUIRE_EQUAL(p.count(Call::pause_writing), 1, "with high=0, pause_writing() once the buffer is non-empty");
  PeerReader reader(pair.peer.get());
  run_until(
      ctx, *loop, [&] { return p.count(Call::resume_writing) > 0; }, "resume_writing() as the peer reads");
  for (const Event& e : p.events)
    if (e.call == Call::resume_writing)
      CHECK_EQUAL(e.buffered, std::size_t{0},
                  "with high=0 (so low=0), resume_writing() only with an empty buffer");
  p.transport->close();
  run_until(
      ctx, *loop, [&] { return reader.done() && p.lost(); }, "the peer to read everything");
  reader.join(ctx);
}

LOOPCERT_CASE("transports.limits.high_zero_every_time", clauses("TR-LIMITS-HIGH-ZERO")) {
  // "whenever the buffer becomes non-empty": two rounds of buffering and
  // draining make two pause/resume pairs.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(0);
  Pattern pattern;
  std::string got;
  for (int round = 1; round <= 2; ++round) {
    write_until_paused(ctx, *loop, p, pattern, 1u << 20);
    CHECK_EQUAL(p.count(Call::pause_writing), round, conformance::str("pause_writing() in round ", round));
    PeerReader reader(pair.peer.get(), pattern.total() - got.size());
    run_until(
        ctx, *loop, [&] { return reader.done() && p.count(Call::resume_writing) >= round; },
        "the peer to read everything written so far");
    reader.join(ctx);
    got += reader.data;
  }
  CHECK_THAT(pattern.matches(got), "the peer receives every byte");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.limits.low_zero_resumes_when_empty", clauses("TR-LIMITS-LOW-ZERO")) {
  // low=0: resume_writing() only once the buffer is empty (not when it is
  // merely small).
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(256 * 1024, 0);
  Pattern pattern;
  write_until_paused(ctx, *loop, p, pattern, 4u << 20);
  REQUIRE_EQUAL(p.count(Call::pause_writing), 1, "pause_writing() over the high-water mark");
  PeerReader reader(pair.peer.get());
  run_until(
      ctx, *loop, [&] { return p.count(Call::resume_writing) > 0; }, "resume_writing() as the peer reads");
  for (const Event& e : p.events)
    if (e.call == Call::resume_writing)
      CHECK_EQUAL(e.buffered, std::size_t{0}, "with low=0, resume_writing() only with an empty buffer");
  p.transport->close();
  run_until(
      ctx, *loop, [&] { return reader.done() && p.lost(); }, "the peer to read everything");
  reader.join(ctx);
}

LOOPCERT_CASE("transports.limits.only_high_low_at_most_high", clauses("TR-LIMITS-DEFAULTS").tolerance()) {
  // With only high given, low is the implementation's choice, but at most
  // high: resume_writing() comes with the buffer at or below high.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(32 * 1024);
  Pattern pattern;
  write_until_paused(ctx, *loop, p, pattern, 1u << 20);
  PeerReader reader(pair.peer.get());
  p.transport->close();
  run_until(
      ctx, *loop, [&] { return reader.done() && p.lost(); }, "the peer to read everything");
  reader.join(ctx);
  for (const Event& e : p.events)
    if (e.call == Call::resume_writing)
      CHECK_THAT(e.buffered <= 32 * 1024,
                 conformance::str("resume_writing() with ", e.buffered, " bytes buffered (high 32768)"));
  CHECK_THAT(pattern.matches(reader.data), "the peer receives every byte");
}

// --- pause_reading() and resume_reading() -----------------------------------

LOOPCERT_CASE("transports.pause_reading.holds_data_until_resume",
              clauses("TR-PAUSE-READING", "TR-RESUME-READING")) {
  // Data that arrives while paused is held, not delivered and not lost;
  // resume_reading() delivers it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& p = *pair.client;
  p.transport->pause_reading();
  send_all(pair.peer.get(), "held");
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::data_received), 0, "data_received() is not called while reading is paused");
  p.transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return p.received.size() >= 4; }, "the held data after resume_reading()");
  CHECK_EQUAL(p.received, std::string("held"),
              "resume_reading() delivers the data that arrived while paused");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.pause_reading.from_data_received",
              clauses("TR-PAUSE-READING", "TR-RESUME-READING")) {
  // The usual use: the protocol pauses inside data_received(); what comes
  // next waits for resume_reading().
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  client->on_data = [](RecordingProtocol& p, std::string_view) {
    if (p.count(Call::data_received) == 1) p.transport->pause_reading();
  };
  auto pair = connect_raw(ctx, *loop, client);
  send_all(pair.peer.get(), "1");
  run_until(
      ctx, *loop, [&] { return client->count(Call::data_received) > 0; }, "the first data_received()");
  std::size_t first = client->received.size();
  send_all(pair.peer.get(), "2345");
  settle(ctx, *loop);
  CHECK_EQUAL(client->count(Call::data_received), 1,
              "no data_received() after pause_reading() inside data_received()");
  client->transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return client->received.size() >= first + 4; }, "the rest after resume_reading()");
  CHECK_EQUAL(client->received, std::string("12345"), "the held data follows, whole and in order");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.pause_reading.holds_a_large_backlog",
              clauses("TR-PAUSE-READING", "TR-RESUME-READING")) {
  // 2 MiB sent while paused (more than the kernel holds: the sender
  // blocks until resume); all of it arrives after resume_reading(), none
  // before.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& p = *pair.client;
  p.transport->pause_reading();
  Pattern pattern;
  std::string data = pattern.next(2u << 20);
  std::atomic<bool> sent{false};
  std::jthread sender([&] {
    send_all(pair.peer.get(), data);
    sent = true;
  });
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::data_received), 0, "data_received() is not called while reading is paused");
  p.transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return p.received.size() >= pattern.total() && sent; },
      "2 MiB after resume_reading()");
  conformance::join(ctx, sender, "the peer's sender thread");
  CHECK_THAT(pattern.matches(p.received), "every byte held during the pause arrives, in order");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("transports.pause_reading.holds_data_before_eof",
              clauses("TR-PAUSE-READING", "TR-RESUME-READING", "PROTO-SEQ-EOF-AT-MOST-ONCE")) {
  // The peer sends and half-closes while paused: nothing is delivered
  // until resume_reading(), then the data, and eof_received() only after it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop);
  auto& p = *pair.client;
  p.eof_result = true;
  p.transport->pause_reading();
  send_all(pair.peer.get(), "last words");
  ::shutdown(pair.peer.get(), SHUT_WR);
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(Call::data_received), 0, "data_received() is not called while reading is paused");
  p.transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return p.got_eof() || p.lost(); }, "the held data and the end of the stream");
  CHECK_EQUAL(p.received, std::string("last words"), "the data held during the pause is not lost");
  CHECK_EQUAL(sequence_problem(p, Lost::optional), std::string(),
              "eof_received() comes after the last data_received()");
  pair.close(ctx, *loop);
}

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
  fill(*p.transport, pattern, 1u << 20);
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
