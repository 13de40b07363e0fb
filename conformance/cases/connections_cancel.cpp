// Internet connections (PEP 3156, "Internet connections"): cancelling a
// create_connection() that is still pending.
//
// The loop may have got as far as connecting, or even as calling
// connection_made(), before the cancellation reached it (create_connection()
// may be a Task, whose cancellation takes effect at its next step). What it
// may not do is leave a connection behind: a socket it connected is closed
// again, and a protocol that got connection_made() gets connection_lost()
// (PROTO-SEQ-CONNECTION-LOST-ONCE).
#include <any>
#include <memory>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;
using net_support::UniqueFd;

namespace {
ProtocolFactory returning(const std::shared_ptr<RecordingProtocol>& protocol) {
  return [protocol] { return std::static_pointer_cast<Protocol>(protocol); };
}
}  // namespace

LOOPCERT_CASE("connections.create_connection.cancelled_leaves_no_connection",
              clauses("PROTO-SEQ-CONNECTION-LOST-ONCE", "LOOP-CONN-RESULT-PAIR")) {
  auto loop = ctx.new_loop();
  net_support::Listener listener = net_support::listen_on_loopback();
  auto cancelled_client = std::make_shared<RecordingProtocol>();
  auto connecting = loop->create_connection(returning(cancelled_client), "127.0.0.1", listener.port);
  CHECK_THAT(connecting.cancel(), "a create_connection() that has not run yet can be cancelled");
  run_until(
      ctx, *loop, [&] { return connecting.done(); }, "the cancelled create_connection() to finish");
  CHECK_THAT(connecting.cancelled(), "a cancelled create_connection() ends cancelled, with no connection");

  // A second connection, made after it, by the same steps: once it is up, a
  // loop that went on with the cancelled one has connected that too.
  auto probe = std::make_shared<RecordingProtocol>();
  auto probe_connection =
      ctx.run_until_complete(*loop, loop->create_connection(returning(probe), "127.0.0.1", listener.port),
                             "a second create_connection() to the same listener");
  run_until(
      ctx, *loop, [&] { return probe->made(); }, "connection_made() of the second connection");
  auto probe_port = std::any_cast<SocketAddress>(probe_connection.first->get_extra_info("sockname")).port();

  // Every other connection the listener got is the cancelled one's: the
  // loop must close it.
  std::vector<UniqueFd> others;
  while (UniqueFd accepted = net_support::accept_from(listener)) {
    if (net_support::peer_of(accepted.get()).port() != probe_port) others.push_back(std::move(accepted));
  }
  for (UniqueFd& other : others) {
    std::string ignored;
    run_until(
        ctx, *loop, [&] { return !net_support::drain(other.get(), ignored); },
        "the loop to close the connection of the cancelled create_connection()");
  }
  settle(ctx, *loop);
  CHECK_THAT(!cancelled_client->made() || cancelled_client->count(Call::connection_lost) == 1,
             conformance::str("a protocol made for a cancelled create_connection() gets connection_lost() "
                              "if it got connection_made(): ",
                              cancelled_client->trace()));
  if (cancelled_client->made())
    CHECK_EQUAL(sequence_problem(*cancelled_client), std::string(),
                "the calling sequence holds for the cancelled connection's protocol");
  probe->transport->close();
  run_until(
      ctx, *loop, [&] { return probe->lost(); }, "connection_lost() of the second connection after close()");
}
