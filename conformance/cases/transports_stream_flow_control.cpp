// Stream transports (PEP 3156, "Bidirectional Stream Transports"), over
// TCP on 127.0.0.1. The peer is either the loop's own server side
// (connect_pair) or a socket of the case's (connect_raw, kSlowPeer) when the
// case must control it exactly: a peer that does not read, half-closes or
// resets.
//
// This file: flow control, get_write_buffer_size(), set_write_buffer_limits()
// and the pause_writing()/resume_writing() they cause, pause_reading() and
// resume_reading().
#include <sys/socket.h>

#include <string>
#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

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
  // A transport whose write met a spurious EAGAIN or short count buffered
  // while the kernel still had room, and rightly drains into it while the
  // loop runs: write more until the kernel is full too (it holds a few MiB
  // at most), then the transport's buffer must stay non-empty.
  for (int round = 0; round < 16 && t.get_write_buffer_size() == 0; ++round) {
    fill(t, pattern, 512 * 1024);
    settle(ctx, *loop);
  }
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

LOOPCERT_CASE("transports.limits.low_above_high_rejected",
              clauses("TR-LIMITS-VALIDATION").extension("D-TR-3")) {
  // "the low-water limit must be less than or equal to the high-water
  // limit" (decision D-TR-3: any exception); valid pairs are accepted. The
  // sentence binds the caller, so a loop that does not raise is not wrong:
  // an extension.
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

/// The chunk write_until_buffered() writes: well under any default
/// high-water mark, so a loop that ignores a mark of 0 shows it.
constexpr std::size_t kSmallChunk = 16 * 1024;

/// For a high-water mark of 0: writes small chunks to a peer that does not
/// read until the transport buffers any of it (or the protocol is paused),
/// then lets the loop run a little, as write_until_paused() does.
void write_until_buffered(conformance::Context& ctx, AbstractEventLoop& loop, RecordingProtocol& p,
                          Pattern& pattern) {
  auto& t = *p.transport;
  for (int i = 0; i < 4096 && !p.paused() && t.get_write_buffer_size() == 0; ++i)
    t.write(pattern.next(kSmallChunk));
  settle(ctx, loop);
}

/// With high=0, every pause_writing() came while the buffer held something,
/// and no more than the one small chunk that made it non-empty.
void check_paused_as_soon_as_buffered(const RecordingProtocol& p) {
  for (const Event& e : p.events)
    if (e.call == Call::pause_writing)
      CHECK_THAT(
          e.buffered > 0 && e.buffered <= kSmallChunk,
          conformance::str("with high=0, pause_writing() as soon as the buffer is non-empty: it came with ",
                           e.buffered, " bytes buffered, after writes of ", kSmallChunk));
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
  write_until_buffered(ctx, *loop, p, pattern);
  REQUIRE_EQUAL(p.count(Call::pause_writing), 1, "with high=0, pause_writing() once the buffer is non-empty");
  check_paused_as_soon_as_buffered(p);
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
    write_until_buffered(ctx, *loop, p, pattern);
    CHECK_EQUAL(p.count(Call::pause_writing), round, conformance::str("pause_writing() in round ", round));
    PeerReader reader(pair.peer.get(), pattern.total() - got.size());
    run_until(
        ctx, *loop, [&] { return reader.done() && p.count(Call::resume_writing) >= round; },
        "the peer to read everything written so far");
    reader.join(ctx);
    got += reader.data;
  }
  check_paused_as_soon_as_buffered(p);
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
