// Datagram endpoints (PEP 3156, "Internet connections":
// create_datagram_endpoint(); "Datagram Transports"; "Datagram Protocols").
//
// The peers are plain UDP sockets of the case's own on the loopback: the
// case controls exactly who sends what, and learns the endpoint's address
// from the source of what the endpoint sends. Nothing here sleeps: the case
// waits for a datagram to arrive (a non-blocking recvfrom() polled by
// stop_when) or for the protocol callback itself.
//
// This file: create_datagram_endpoint() and its options ("Internet
// connections"): local_addr, remote_addr, family, proto, flags.
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/datagram_support.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"

using namespace pep3156;
using namespace datagram_support;
using conformance::run_until;
using conformance::stop_when;
using conformance::str;
using conformance::UniqueFd;

// --- create_datagram_endpoint() ------------------------------------------------

LOOPCERT_CASE("datagrams.endpoint.result_pair",
              clauses("LOOP-DGRAM-RESULT-PAIR", "LOOP-DGRAM-TYPES", "LOOP-DGRAM-FACTORY-ONCE")) {
  // "a coroutine that returns a (transport, protocol) pair": the protocol
  // the factory made, and the transport connection_made() received, which
  // is a DatagramTransport.
  auto loop = ctx.new_loop();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}});
  CHECK_EQUAL(*endpoint.factory_calls, 1, "protocol_factory is called exactly once");
  auto given = endpoint.protocol->transport;
  CHECK_THAT(std::dynamic_pointer_cast<DatagramTransport>(given) != nullptr,
             "connection_made() receives a DatagramTransport");
  CHECK_THAT(std::dynamic_pointer_cast<BaseTransport>(endpoint.transport) == given,
             "the pair's transport is the one connection_made() received");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.endpoint.bind_failure_raises", clauses("LOOP-DGRAM-RESULT-PAIR")) {
  // The case holds the port, so bind() fails: "or raises an exception on
  // failure" (thrown by the call or through the Future, D-TIER-3).
  auto loop = ctx.new_loop();
  UniqueFd holder = udp_socket();
  std::uint16_t port = local_address(holder.get()).port();
  CHECK_THAT(creation_fails(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}}),
             "create_datagram_endpoint() fails when local_addr cannot be bound");
}

LOOPCERT_CASE("datagrams.endpoint.factory_called_once", clauses("LOOP-DGRAM-FACTORY-ONCE")) {
  // "called exactly once": not again per datagram, per error or on close.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", local_address(peer.get()).port()}});
  endpoint.transport->sendto(as_bytes("hello"));
  auto got = receive(ctx, *loop, peer.get(), 1, "the endpoint's datagram");
  REQUIRE_EQUAL(got.size(), 1u, "the peer receives the endpoint's datagram");
  send_datagram(peer.get(), "one", got[0].from);
  send_datagram(peer.get(), "two", got[0].from);
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->datagrams.size() == 2; }, "two datagrams");
  close(ctx, *loop, endpoint);
  CHECK_EQUAL(*endpoint.factory_calls, 1, "protocol_factory is called exactly once for the endpoint's life");
}

// --- local_addr ------------------------------------------------------------------

LOOPCERT_CASE("datagrams.local_addr.bound_to_given_port", clauses("LOOP-DGRAM-LOCAL-ADDR")) {
  // local_addr=(host, port) is bound: the endpoint receives what is sent
  // to that address, and what it sends comes from it.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  send_datagram(peer.get(), "to the bound port", loopback(AF_INET, port));
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty(); },
      "a datagram sent to the local_addr the endpoint was bound to");
  endpoint.transport->sendto(as_bytes("from the bound port"), local_address(peer.get()));
  auto got = receive(ctx, *loop, peer.get(), 1, "the endpoint's datagram");
  REQUIRE_EQUAL(got.size(), 1u, "the peer receives the endpoint's datagram");
  CHECK_THAT(
      got[0].from == loopback(AF_INET, port),
      str("the endpoint sends from its local_addr 127.0.0.1:", port, " (got ", got[0].from.to_string(), ")"));
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.local_addr.name_is_resolved", clauses("LOOP-DGRAM-LOCAL-ADDR")) {
  // "It will be passed to getaddrinfo() to be resolved": a name, not only
  // a numeric address.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"localhost", port}, .family = AF_INET});
  send_datagram(peer.get(), "to localhost", loopback(AF_INET, port));
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty(); },
      "a datagram sent to the endpoint bound to (\"localhost\", port)");
  CHECK_EQUAL(endpoint.protocol->datagrams[0].data, std::string("to localhost"),
              "the endpoint bound to localhost:port receives what is sent to 127.0.0.1:port");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.local_addr.candidates_tried_in_turn",
              clauses("LOOP-DGRAM-LOCAL-ADDR").needs(Category::ipv6)) {
  // "If getaddrinfo() returns more than one address, they will be tried in
  // turn": "localhost" resolves to 127.0.0.1 and ::1; the case holds the
  // port on one of them, so the endpoint must bind the other.
  if (!localhost_is_dual_stack())
    ctx.unsupported("\"localhost\" does not resolve to both 127.0.0.1 and ::1 here");
  auto loop = ctx.new_loop();
  auto first = getaddrinfo_blocking("localhost", "0", {.type = SOCK_DGRAM}).front();
  int held_family = first.family;
  int free_family = held_family == AF_INET ? AF_INET6 : AF_INET;
  UniqueFd holder = udp_socket(held_family);
  std::uint16_t port = local_address(holder.get()).port();
  UniqueFd peer = udp_socket(free_family);
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"localhost", port}});
  send_datagram(peer.get(), "to the free candidate", loopback(free_family, port));
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty(); },
      "a datagram sent to the candidate address that was free");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.local_addr.omitted_means_no_bind", clauses("LOOP-DGRAM-LOCAL-ADDR")) {
  // "If omitted, no bind() call will be made": the socket is unbound until
  // its first send binds it implicitly; it then sends and receives.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  Endpoint endpoint = open(ctx, *loop, {.family = AF_INET});
  int fd = endpoint.transport->get_extra_info<int>("socket", -1);
  if (fd >= 0) {
    CHECK_EQUAL(local_address(fd).port(), 0,
                "without local_addr the socket is not bound (getsockname port 0)");
  }
  endpoint.transport->sendto(as_bytes("ping"), local_address(peer.get()));
  auto got = receive(ctx, *loop, peer.get(), 1, "the unbound endpoint's datagram");
  REQUIRE_EQUAL(got.size(), 1u, "an endpoint without local_addr can send");
  send_datagram(peer.get(), "pong", got[0].from);
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty(); },
      "the reply to the endpoint's implicit address");
  close(ctx, *loop, endpoint);
}

// --- remote_addr -----------------------------------------------------------------

LOOPCERT_CASE("datagrams.remote_addr.default_destination",
              clauses("LOOP-DGRAM-REMOTE-ADDR", "TR-DGRAM-SENDTO-DEFAULT-ADDR")) {
  // remote_addr is "a default value for the destination address": sendto()
  // without an address goes there, and so does one with that very address.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  SocketAddress peer_address = local_address(peer.get());
  Endpoint endpoint = open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", peer_address.port()}});
  endpoint.transport->sendto(as_bytes("implicit"));
  endpoint.transport->sendto(as_bytes("explicit"), peer_address);
  auto got = receive(ctx, *loop, peer.get(), 2, "two datagrams sent to remote_addr");
  REQUIRE_EQUAL(got.size(), 2u, "both datagrams reach remote_addr");
  CHECK_THAT((got[0].data == "implicit" && got[1].data == "explicit") ||
                 (got[0].data == "explicit" && got[1].data == "implicit"),
             "sendto(data) and sendto(data, remote_addr) both send to remote_addr");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.remote_addr.socket_is_connected", clauses("LOOP-DGRAM-REMOTE-ADDR")) {
  // remote_addr is passed to sock_connect(): a connected UDP socket accepts
  // datagrams from its peer only. A stranger sends first, the peer second;
  // once the peer's datagram is delivered, the stranger's never was (on
  // the loopback each sendto() is queued at the receiver before it returns).
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  UniqueFd stranger = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", local_address(peer.get()).port()}});
  endpoint.transport->sendto(as_bytes("hello"));
  auto got = receive(ctx, *loop, peer.get(), 1, "the endpoint's datagram");
  REQUIRE_EQUAL(got.size(), 1u, "the peer receives the endpoint's datagram");
  send_datagram(stranger.get(), "from a stranger", got[0].from);
  send_datagram(peer.get(), "from the peer", got[0].from);
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->count("datagram_received") > 0; }, "the peer's datagram");
  CHECK_THAT(endpoint.protocol->payloads() == std::vector<std::string>{"from the peer"},
             "an endpoint with remote_addr is connected: it receives only from remote_addr");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.remote_addr.omitted_receives_from_anyone", clauses("LOOP-DGRAM-REMOTE-ADDR")) {
  // "If omitted, no sock_connect() call will be made": datagrams from any
  // sender arrive.
  auto loop = ctx.new_loop();
  UniqueFd first = udp_socket();
  UniqueFd second = udp_socket();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}});
  endpoint.transport->sendto(as_bytes("hello"), local_address(first.get()));
  auto got = receive(ctx, *loop, first.get(), 1, "the endpoint's datagram");
  REQUIRE_EQUAL(got.size(), 1u, "the first socket receives the endpoint's datagram");
  send_datagram(first.get(), "first", got[0].from);
  send_datagram(second.get(), "second", got[0].from);
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->datagrams.size() >= 2; }, "datagrams from two senders");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.remote_addr.name_is_resolved", clauses("LOOP-DGRAM-REMOTE-ADDR")) {
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop,
           {.remote_addr = HostPort{"localhost", local_address(peer.get()).port()}, .family = AF_INET});
  endpoint.transport->sendto(as_bytes("to localhost"));
  auto got = receive(ctx, *loop, peer.get(), 1, "a datagram sent to (\"localhost\", port)");
  CHECK_EQUAL(got.size(), 1u, "remote_addr (\"localhost\", port) resolves to the peer at 127.0.0.1:port");
  close(ctx, *loop, endpoint);
}

// --- family, proto, flags; combinations -------------------------------------------------

LOOPCERT_CASE("datagrams.options.family_passed_to_getaddrinfo", clauses("LOOP-DGRAM-GAI-OPTIONS")) {
  // family restricts resolution (it cannot be ignored, LOOP-GAI-FAMILY-VALUES):
  // an IPv4 literal has no AF_INET6 address (unless the resolver maps it,
  // ::ffff:127.0.0.1, which names.cpp accepts: then the endpoint's socket
  // is AF_INET6, never AF_INET), an IPv6 literal no AF_INET one.
  auto loop = ctx.new_loop();
  int family = created_family(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}, .family = AF_INET6});
  CHECK_THAT(family != AF_INET,
             "local_addr 127.0.0.1 with family=AF_INET6 fails, or binds an AF_INET6 socket (an IPv4-mapped "
             "address), never an AF_INET one");
  CHECK_THAT(creation_fails(ctx, *loop, {.remote_addr = HostPort{"::1", 9}, .family = AF_INET}),
             "remote_addr ::1 with family=AF_INET resolves to nothing: creation fails");
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}, .family = AF_INET});
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.options.proto_and_flags_passed_to_getaddrinfo", clauses("LOOP-DGRAM-GAI-OPTIONS")) {
  // The endpoint resolves as the loop's getaddrinfo() does with the same
  // options and type SOCK_DGRAM; a loop's resolver may ignore proto and
  // flags (LOOP-GAI-SUBSET), so the case asks getaddrinfo() first.
  auto loop = ctx.new_loop();
  auto resolves = [&](GetAddrInfoOptions options) {
    try {
      return !ctx.run_until_complete(*loop, loop->getaddrinfo("localhost", "0", options), "getaddrinfo()")
                  .empty();
    } catch (const std::exception&) {
      return false;
    }
  };
  if (!resolves({.type = SOCK_DGRAM, .flags = AI_NUMERICHOST})) {
    CHECK_THAT(creation_fails(ctx, *loop, {.local_addr = HostPort{"localhost", 0}, .flags = AI_NUMERICHOST}),
               "flags=AI_NUMERICHOST reaches getaddrinfo(): local_addr \"localhost\" is not numeric");
  }
  if (!resolves({.type = SOCK_DGRAM, .proto = IPPROTO_TCP})) {
    CHECK_THAT(creation_fails(ctx, *loop, {.local_addr = HostPort{"localhost", 0}, .proto = IPPROTO_TCP}),
               "proto=IPPROTO_TCP reaches getaddrinfo() with type SOCK_DGRAM, which has no such socket");
  }
  // proto=IPPROTO_UDP with the always-SOCK_DGRAM type is a UDP endpoint.
  UniqueFd peer = udp_socket();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}, .proto = IPPROTO_UDP});
  endpoint.transport->sendto(as_bytes("udp"), local_address(peer.get()));
  CHECK_EQUAL(receive(ctx, *loop, peer.get(), 1, "a datagram from the proto=IPPROTO_UDP endpoint").size(), 1u,
              "proto=IPPROTO_UDP makes a UDP endpoint");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.options.socket_type_is_datagram",
              clauses("LOOP-DGRAM-GAI-OPTIONS", "TR-DGRAM-SENDTO")) {
  // "The socket type is always SOCK_DGRAM": message boundaries hold, three
  // sendto() calls are three datagrams, never merged or split.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", local_address(peer.get()).port()}});
  std::vector<std::string> sent{"a", std::string(1000, 'b'), std::string(8000, 'c')};
  for (const auto& payload : sent) endpoint.transport->sendto(as_bytes(payload));
  auto got = receive(ctx, *loop, peer.get(), 3, "three datagrams");
  std::vector<std::string> payloads;
  for (const auto& d : got) payloads.push_back(d.data);
  std::sort(payloads.begin(), payloads.end());
  CHECK_THAT(payloads == sent, "each sendto() is one datagram with exactly its bytes");
  close(ctx, *loop, endpoint);
}

namespace {
/// The address that is "localhost" (two candidates, 127.0.0.1 and ::1); the
/// other one is the loopback of one family.
enum class Localhost { local_addr, remote_addr };

/// "all combinations of local and remote addresses with matching address
/// family will be tried": whichever side has the two candidates, the one of
/// the other side's family must be chosen, for each family.
void check_candidate_of_matching_family(conformance::Context& ctx, Localhost side) {
  if (!localhost_is_dual_stack())
    ctx.unsupported("\"localhost\" does not resolve to both 127.0.0.1 and ::1 here");
  const char* chosen = side == Localhost::local_addr ? "the local candidate of the remote's family"
                                                     : "the remote candidate of the local family";
  auto loop = ctx.new_loop();
  for (int family : {AF_INET, AF_INET6}) {
    UniqueFd peer = udp_socket(family);
    std::uint16_t port = local_address(peer.get()).port();
    std::string loopback = family == AF_INET ? "127.0.0.1" : "::1";
    Endpoint endpoint =
        open(ctx, *loop,
             {.local_addr = HostPort{side == Localhost::local_addr ? "localhost" : loopback, 0},
              .remote_addr = HostPort{side == Localhost::remote_addr ? "localhost" : loopback, port}});
    endpoint.transport->sendto(as_bytes("matched"));
    auto got = receive(ctx, *loop, peer.get(), 1, str("a datagram sent with ", chosen));
    CHECK_THAT(got.size() == 1 && got[0].from.family() == family,
               str(chosen, " is chosen (family ", family, ")"));
    close(ctx, *loop, endpoint);
  }
}
}  // namespace

LOOPCERT_CASE("datagrams.addr_combinations.local_candidate_matching_remote",
              clauses("LOOP-DGRAM-ADDR-COMBINATIONS").needs(Category::ipv6)) {
  check_candidate_of_matching_family(ctx, Localhost::local_addr);
}

LOOPCERT_CASE("datagrams.addr_combinations.remote_candidate_matching_local",
              clauses("LOOP-DGRAM-ADDR-COMBINATIONS").needs(Category::ipv6)) {
  check_candidate_of_matching_family(ctx, Localhost::remote_addr);
}
