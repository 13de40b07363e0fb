// Stream protocols (PEP 3156, "Stream Protocols"): close() called from
// inside pause_writing() or resume_writing().
//
// The transport calls these while it is in the middle of writing (inside
// write(), or in its own write-ready handler); a close() made there must
// still flush what was written (TR-CLOSE-FLUSHES) and lead to one
// connection_lost(None) (TR-CLOSE-CONNECTION-LOST-NONE,
// PROTO-SEQ-CONNECTION-LOST-ONCE), never a second one from the interrupted
// write.
#include <memory>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

namespace {

/// Fills the transport of a client whose peer does not read yet until it
/// pauses, with the protocol closing its transport from inside `closer`
/// (pause_writing or resume_writing); then lets the peer read to the end.
void close_from_flow_control(conformance::Context& ctx, Call closer) {
  auto loop = ctx.new_loop();
  auto client = std::make_shared<RecordingProtocol>();
  auto close = [](RecordingProtocol& p) { p.transport->close(); };
  (closer == Call::pause_writing ? client->on_pause : client->on_resume) = close;
  RawPair pair = connect_raw(ctx, *loop, client, kSlowPeer);
  auto& p = *pair.client;
  p.transport->set_write_buffer_limits(64 * 1024, 16 * 1024);
  Pattern pattern;
  for (int i = 0; i < 512 && !p.paused() && !p.transport->is_closing(); ++i)
    p.transport->write(pattern.next(64 * 1024));
  auto end = read_to_end(ctx, *loop, pair.peer.get(), [&] { return p.lost(); });
  settle(ctx, *loop);
  CHECK_EQUAL(p.count(closer), 1, conformance::str(call_name(closer), "() came, once: ", p.trace()));
  CHECK_EQUAL(p.count(Call::connection_lost), 1,
              conformance::str("connection_lost() exactly once after close() inside ", call_name(closer),
                               "(): ", p.trace()));
  CHECK_THAT(!p.lost_error(), "connection_lost(None) after close()");
  CHECK_EQUAL(sequence_problem(p), std::string(), "the calling sequence holds");
  CHECK_EQUAL(flow_problem(p), std::string(), "the flow-control calls pair up");
  CHECK_THAT(pattern.matches(end.data), "every byte written before close() arrives, once, in order");
}

}  // namespace

LOOPCERT_CASE("protocols.flow.close_inside_pause_writing",
              clauses("PROTO-SEQ-CONNECTION-LOST-ONCE", "TR-CLOSE-CONNECTION-LOST-NONE",
                      "TR-CLOSE-FLUSHES")) {
  close_from_flow_control(ctx, Call::pause_writing);
}

LOOPCERT_CASE("protocols.flow.close_inside_resume_writing",
              clauses("PROTO-SEQ-CONNECTION-LOST-ONCE", "TR-CLOSE-CONNECTION-LOST-NONE",
                      "TR-CLOSE-FLUSHES")) {
  close_from_flow_control(ctx, Call::resume_writing);
}
