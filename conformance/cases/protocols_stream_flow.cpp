// Stream protocols (PEP 3156, "Stream Protocols"): pause_writing() and
// resume_writing(), which a transport calls when its buffer passes the high
// and the low water mark: heeding them is optional, they come in pairs,
// never a resume without a pause nor two pauses in a row.
#include <sys/socket.h>

#include <string>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

// --- pause_writing ------------------------------------------------------------

LOOPCERT_CASE("protocols.pause_writing.heeding_it_is_optional", clauses("PROTO-PAUSE-WRITING")) {
  // A protocol that ignores pause_writing() and goes on writing 4 MiB:
  // the transport keeps buffering and delivers every byte.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(64 * 1024);
  Pattern pattern;
  for (int i = 0; i < 64; ++i) p.transport->write(pattern.next(64 * 1024));
  settle(ctx, *loop);
  CHECK_THAT(p.paused(), "pause_writing() was called (the buffer is far over the high-water mark)");
  p.transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  CHECK_THAT(pattern.matches(end.data),
             "writes after pause_writing() are still delivered, every byte in order");
}

LOOPCERT_CASE("protocols.pause_writing.loop_peer_not_reading", clauses("PROTO-PAUSE-WRITING")) {
  // Both ends on the loop: the server side pauses reading, the client
  // writes until its buffer crosses the high-water mark and gets
  // pause_writing(); the server side resumes and the client resumes too.
  auto loop = ctx.new_loop();
  auto pair = connect_pair(ctx, *loop);
  auto& p = *pair.client;
  pair.peer->transport->pause_reading();
  p.transport->set_write_buffer_limits(128 * 1024, 32 * 1024);
  Pattern pattern;
  for (int i = 0; i < 1024 && !p.paused(); ++i) p.transport->write(pattern.next(64 * 1024));
  settle(ctx, *loop);
  // Counted, not asked whether still paused: a transport whose write met a
  // spurious EAGAIN or short count buffered while the kernel had room, and
  // may have drained and resumed while the loop ran (PROTO-FLOW-PAIRS).
  REQUIRE_THAT(p.count(Call::pause_writing) > 0,
               "pause_writing() once the buffer crosses the high-water mark");
  pair.peer->transport->resume_reading();
  run_until(
      ctx, *loop, [&] { return pair.peer->received.size() >= pattern.total() && !p.paused(); },
      "the server side to read everything and the client to resume");
  CHECK_THAT(pattern.matches(pair.peer->received), "every byte arrives");
  pair.close(ctx, *loop);
}

// --- pause_writing / resume_writing pairs ---------------------------------------

namespace {

/// Writes to the slow peer until the protocol is paused, then lets the peer
/// read everything written so far, until the protocol is resumed.
void one_flow_round(conformance::Context& ctx, AbstractEventLoop& loop, RawPair& pair, Pattern& pattern,
                    std::string& got) {
  auto& p = *pair.client;
  for (int i = 0; i < 512 && !p.paused(); ++i) p.transport->write(pattern.next(64 * 1024));
  settle(ctx, loop);
  PeerReader reader(pair.peer.get(), pattern.total() - got.size());
  run_until(
      ctx, loop, [&] { return reader.done() && p.transport->get_write_buffer_size() == 0; },
      "the peer to read everything written so far");
  reader.join(ctx);
  got += reader.data;
  settle(ctx, loop);
}

}  // namespace

LOOPCERT_CASE("protocols.flow.pairs_over_three_rounds", clauses("PROTO-FLOW-PAIRS")) {
  // Three rounds of filling and draining: pause, resume, pause, resume,
  // pause, resume, never two of a kind in a row.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(64 * 1024, 16 * 1024);
  Pattern pattern;
  std::string got;
  for (int round = 0; round < 3; ++round) one_flow_round(ctx, *loop, pair, pattern, got);
  CHECK_EQUAL(p.count(Call::pause_writing), 3,
              conformance::str("one pause_writing() per round: ", p.trace()));
  CHECK_EQUAL(p.count(Call::resume_writing), 3,
              conformance::str("one resume_writing() per round: ", p.trace()));
  CHECK_EQUAL(flow_problem(p), std::string(), "pause_writing() and resume_writing() alternate");
  CHECK_THAT(pattern.matches(got), "every byte arrives");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.flow.no_resume_without_pause", clauses("PROTO-FLOW-PAIRS")) {
  // The buffer fills (below a high-water mark of 16 MiB) and drains: there
  // was no pause_writing(), so there must be no resume_writing().
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(16u << 20, 8u << 20);
  Pattern pattern;
  fill(*p.transport, pattern, 256 * 1024, 4u << 20);
  settle(ctx, *loop);
  PeerReader reader(pair.peer.get(), pattern.total());
  run_until(
      ctx, *loop, [&] { return reader.done(); }, "the peer to read everything");
  reader.join(ctx);
  settle(ctx, *loop);
  CHECK_EQUAL(flow_problem(p), std::string(), "no resume_writing() without a pause_writing() before it");
  pair.close(ctx, *loop);
}

LOOPCERT_CASE("protocols.flow.one_pause_while_paused", clauses("PROTO-FLOW-PAIRS")) {
  // Once paused, more writes (the protocol ignores the pause) do not make
  // a second pause_writing().
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(16 * 1024, 4 * 1024);
  Pattern pattern;
  for (int i = 0; i < 512 && !p.paused(); ++i) p.transport->write(pattern.next(64 * 1024));
  for (int i = 0; i < 20; ++i) {
    p.transport->write(pattern.next(4096));
    if (i % 5 == 0) settle(ctx, *loop);
  }
  // Not "exactly one pause_writing()": a transport whose write met a
  // spurious EAGAIN or short count pauses while the kernel still has room,
  // drains into it, resumes and pauses again, in pairs (PROTO-FLOW-PAIRS).
  CHECK_THAT(p.count(Call::pause_writing) > 0, conformance::str("pause_writing() was called: ", p.trace()));
  CHECK_EQUAL(flow_problem(p), std::string(),
              conformance::str("never two pause_writing() in a row: ", p.trace()));
  p.transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  CHECK_THAT(pattern.matches(end.data), "every byte arrives");
  CHECK_EQUAL(flow_problem(p), std::string(), "pause_writing() and resume_writing() alternate to the end");
}

LOOPCERT_CASE("protocols.flow.nothing_after_lost_when_closed_paused", clauses("PROTO-FLOW-PAIRS")) {
  // close() while paused: the buffer drains as the peer reads; a
  // resume_writing() may come before connection_lost() but never after it.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(64 * 1024, 16 * 1024);
  Pattern pattern;
  for (int i = 0; i < 512 && !p.paused(); ++i) p.transport->write(pattern.next(64 * 1024));
  settle(ctx, *loop);
  p.transport->close();
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  settle(ctx, *loop);
  CHECK_EQUAL(flow_problem(p), std::string(), "no flow-control call after connection_lost()");
  CHECK_THAT(pattern.matches(end.data), "every byte arrives");
}

LOOPCERT_CASE("protocols.flow.aborted_while_paused",
              clauses("PROTO-FLOW-FINAL-RESUME-OPTIONAL").tolerance()) {
  // abort() while paused: the connection may be lost without a final
  // resume_writing(); the case accepts both, as long as the pairs hold.
  auto loop = ctx.new_loop();
  auto pair = connect_raw(ctx, *loop, std::make_shared<RecordingProtocol>(), kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(64 * 1024, 16 * 1024);
  Pattern pattern;
  for (int i = 0; i < 512 && !p.paused(); ++i) p.transport->write(pattern.next(64 * 1024));
  settle(ctx, *loop);
  p.transport->abort();
  run_until(
      ctx, *loop, [&] { return p.lost(); }, "connection_lost() after abort()");
  settle(ctx, *loop);
  CHECK_EQUAL(flow_problem(p), std::string(), "the flow-control calls pair up, the final resume optional");
  CHECK_EQUAL(sequence_problem(p), std::string(), "connection_lost() once, last");
}

LOOPCERT_CASE("protocols.flow.resume_inside_write_or_later",
              clauses("PROTO-RESUME-WRITING-SYNC").tolerance()) {
  // resume_writing() may come from the loop or from inside write(): a
  // protocol that writes again from resume_writing() runs two rounds; the
  // case accepts either timing, as long as the pairs hold.
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  Pattern pattern;
  client->on_resume = [&pattern](RecordingProtocol& p) {
    if (p.count(Call::resume_writing) == 1) p.transport->write(pattern.next(64 * 1024));
  };
  auto pair = connect_raw(ctx, *loop, client, kSlowPeer);
  client->transport->set_write_buffer_limits(32 * 1024, 8 * 1024);
  for (int i = 0; i < 512 && !client->paused(); ++i)
    client->call([&] { client->transport->write(pattern.next(64 * 1024)); });
  settle(ctx, *loop);
  std::string got;
  bool eof = false;
  read_faster(pair.peer.get());
  run_until(
      ctx, *loop,
      [&] {
        got += read_available(pair.peer.get(), eof);
        return got.size() == pattern.total() && client->count(Call::resume_writing) >= 1 && !client->paused();
      },
      "the peer to read everything");
  CHECK_EQUAL(flow_problem(*client), std::string(), "pause_writing() and resume_writing() alternate");
  CHECK_THAT(pattern.matches(got), "every byte arrives");
  pair.close(ctx, *loop);
}
