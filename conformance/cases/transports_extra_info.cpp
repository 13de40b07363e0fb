// Transports (PEP 3156, "Methods For All Transports"): get_extra_info()
// over a stream transport on 127.0.0.1.
#include <sys/socket.h>

#include <any>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using namespace stream_support;

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
