// Datagram endpoints (PEP 3156, "Internet connections":
// create_datagram_endpoint(); "Datagram Transports"; "Datagram Protocols").
//
// The peers are plain UDP sockets of the case's own on the loopback: the
// case controls exactly who sends what, and learns the endpoint's address
// from the source of what the endpoint sends. Nothing here sleeps: the case
// waits for a datagram to arrive (a non-blocking recvfrom() polled by
// stop_when) or for the protocol callback itself.
//
// This file: the transport and its protocol ("Datagram Transports",
// "Datagram Protocols"): sendto(), datagram_received(), error_received(),
// close(), abort() and the calls a datagram transport makes.
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
using conformance::exception_what;
using conformance::run_until;
using conformance::stop_when;
using conformance::str;
using conformance::UniqueFd;

// --- sendto() ------------------------------------------------------------------------

LOOPCERT_CASE("datagrams.sendto.to_each_address", clauses("TR-DGRAM-SENDTO")) {
  // sendto(data, addr) sends one datagram to addr, whichever addr each
  // call names, from the endpoint's one address.
  auto loop = ctx.new_loop();
  UniqueFd first = udp_socket();
  UniqueFd second = udp_socket();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}});
  endpoint.transport->sendto(as_bytes("to the first"), local_address(first.get()));
  endpoint.transport->sendto(as_bytes("to the second"), local_address(second.get()));
  auto to_first = receive(ctx, *loop, first.get(), 1, "the datagram to the first socket");
  auto to_second = receive(ctx, *loop, second.get(), 1, "the datagram to the second socket");
  REQUIRE_THAT(to_first.size() == 1 && to_second.size() == 1, "each destination receives one datagram");
  CHECK_EQUAL(to_first[0].data, std::string("to the first"), "sendto() sends data to its addr");
  CHECK_EQUAL(to_second[0].data, std::string("to the second"), "sendto() sends data to its addr");
  CHECK_THAT(to_first[0].from == to_second[0].from, "both datagrams come from the endpoint's address");
  CHECK_THAT(!try_receive(first.get()) && !try_receive(second.get()), "each datagram is sent once");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.sendto.other_address_than_remote_rejected",
              clauses("TR-DGRAM-SENDTO-DEFAULT-ADDR").extension("D-TR-8")) {
  // "If present, and remote_addr was specified, they must match": another
  // address is an error (any exception, D-TR-8) and nothing goes there. The
  // sentence binds the caller: an extension.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  UniqueFd other = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", local_address(peer.get()).port()}});
  bool rejected = false;
  try {
    endpoint.transport->sendto(as_bytes("misdirected"), local_address(other.get()));
  } catch (const std::exception&) {
    rejected = true;
  }
  CHECK_THAT(rejected, "sendto() to an address other than remote_addr raises");
  // A datagram to the peer afterwards: once it arrived, anything sent
  // before it to the other socket would have arrived too.
  endpoint.transport->sendto(as_bytes("to the peer"));
  CHECK_EQUAL(receive(ctx, *loop, peer.get(), 1, "the datagram to remote_addr").size(), 1u,
              "the endpoint still sends to remote_addr");
  CHECK_THAT(!try_receive(other.get()), "nothing is sent to an address other than remote_addr");
  close(ctx, *loop, endpoint);
}

// --- datagram_received(), error_received() ------------------------------------------------

LOOPCERT_CASE("datagrams.datagram_received.each_datagram_with_its_source", clauses("PROTO-DGRAM-RECEIVED")) {
  // Once per datagram, with its bytes (a large one whole) and its sender's
  // address (an IPv4 2-tuple: host and port). UDP keeps no order between
  // senders, so the case compares per sender.
  auto loop = ctx.new_loop();
  UniqueFd first = udp_socket();
  UniqueFd second = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  std::string large(60000, 'L');
  send_datagram(first.get(), "small", loopback(AF_INET, port));
  send_datagram(second.get(), large, loopback(AF_INET, port));
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->datagrams.size() >= 2; }, "two datagrams");
  const auto& got = endpoint.protocol->datagrams;
  REQUIRE_EQUAL(got.size(), 2u, "datagram_received() is called once per datagram");
  const Datagram* small_one = got[0].data == "small" ? &got[0] : &got[1];
  const Datagram* large_one = got[0].data == "small" ? &got[1] : &got[0];
  CHECK_EQUAL(small_one->data, std::string("small"), "datagram_received() passes the datagram's bytes");
  CHECK_THAT(large_one->data == large, "a 60000-byte datagram arrives whole, in one datagram_received()");
  CHECK_THAT(small_one->from == local_address(first.get()), "addr is the sender's (host, port)");
  CHECK_THAT(large_one->from == local_address(second.get()), "addr is the sender's (host, port)");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.datagram_received.ipv6_source",
              clauses("PROTO-DGRAM-RECEIVED").needs(Category::ipv6)) {
  // From IPv6 the address is the 4-tuple (host, port, flowinfo, scope_id).
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket(AF_INET6);
  std::uint16_t port = unused_port(AF_INET6);
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"::1", port}});
  send_datagram(peer.get(), "over ipv6", loopback(AF_INET6, port));
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty(); }, "a datagram over IPv6");
  const Datagram& got = endpoint.protocol->datagrams[0];
  SocketAddress sender = local_address(peer.get());
  CHECK_EQUAL(got.data, std::string("over ipv6"), "datagram_received() passes the datagram's bytes");
  CHECK_THAT(
      got.from.family() == AF_INET6 && got.from.host() == "::1" && got.from.port() == sender.port() &&
          got.from.flowinfo() == sender.flowinfo() && got.from.scope_id() == sender.scope_id(),
      str("addr is the sender's IPv6 4-tuple ", sender.to_string(), " (got ", got.from.to_string(), ")"));
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.datagram_received.empty_datagram", clauses("PROTO-DGRAM-RECEIVED")) {
  // A zero-length datagram is a datagram: received once, with empty data
  // (not mistaken for the end of a stream: there is none).
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  send_datagram(peer.get(), "", loopback(AF_INET, port));
  send_datagram(peer.get(), "after", loopback(AF_INET, port));
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->datagrams.size() >= 2; },
      "an empty datagram and the one after it");
  std::vector<std::string> payloads = endpoint.protocol->payloads();
  std::sort(payloads.begin(), payloads.end());
  CHECK_THAT(payloads == (std::vector<std::string>{"", "after"}),
             "an empty datagram is delivered as datagram_received() with empty data");
  CHECK_THAT(!endpoint.protocol->lost(), "an empty datagram closes nothing");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.error_received.connection_refused",
              clauses("PROTO-DGRAM-ERROR-RECEIVED", "PROTO-DGRAM-SEQ")) {
  // A connected endpoint sends to a loopback port nobody listens on: the
  // ICMP port-unreachable comes back as ECONNREFUSED on the socket, which
  // error_received() reports; the transport stays open ("it is up to the
  // protocol to call the transport's close() method"), and once something
  // listens on that port the same endpoint reaches it.
  auto loop = ctx.new_loop();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", port}});
  endpoint.transport->sendto(as_bytes("nobody listens"));
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->errors.empty(); },
      "error_received() for a datagram sent to a closed port");
  CHECK_THAT(is_connection_refused(endpoint.protocol->errors[0]),
             str("error_received() gets the OSError ECONNREFUSED (got ",
                 exception_what(endpoint.protocol->errors[0]), ")"));
  CHECK_THAT(!endpoint.protocol->lost(), "error_received() does not close the transport");
  UniqueFd peer = udp_socket(AF_INET, port);
  endpoint.transport->sendto(as_bytes("now somebody does"));
  auto got = receive(ctx, *loop, peer.get(), 1, "a datagram sent after error_received()");
  CHECK_EQUAL(got.size(), 1u, "the endpoint goes on sending after error_received()");
  close(ctx, *loop, endpoint);
  CHECK_THAT(follows_datagram_chart(endpoint.protocol->calls),
             str("connection_made, then datagram_received/error_received, then connection_lost (got ",
                 trace(endpoint.protocol->calls), ")"));
}

// --- close() and abort() ------------------------------------------------------------

LOOPCERT_CASE("datagrams.close.sends_buffered_then_connection_lost",
              clauses("TR-DGRAM-CLOSE", "PROTO-DGRAM-SEQ")) {
  // "Buffered data will be transmitted asynchronously": datagrams sent
  // just before close() still arrive; connection_lost(None) follows, once.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", local_address(peer.get()).port()}});
  for (const char* payload : {"one", "two", "three"}) endpoint.transport->sendto(as_bytes(payload));
  endpoint.transport->close();
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->lost(); }, "connection_lost() after close()");
  std::vector<std::string> payloads;
  while (auto datagram = try_receive(peer.get())) payloads.push_back(datagram->data);
  std::sort(payloads.begin(), payloads.end());
  CHECK_THAT(payloads == (std::vector<std::string>{"one", "three", "two"}),
             "the datagrams sent before close() are transmitted before the endpoint closes");
  CHECK_THAT(endpoint.protocol->lost_with == nullptr, "close() leads to connection_lost(None)");
  // More loop iterations: a second connection_lost() would show up now.
  int ticks = 0;
  stop_when(*loop, [&] { return ++ticks == 5; });
  ctx.run_forever(*loop, "five more timer ticks");
  CHECK_THAT(
      follows_datagram_chart(endpoint.protocol->calls),
      str("connection_lost() is called exactly once, last (got ", trace(endpoint.protocol->calls), ")"));
}

LOOPCERT_CASE("datagrams.close.nothing_after_connection_lost", clauses("TR-DGRAM-CLOSE", "PROTO-DGRAM-SEQ")) {
  // close() inside datagram_received() while the peer keeps sending. Unlike
  // a stream transport's, a datagram transport's close() does not promise
  // that no more data is received (decision D-TR-10): a datagram may still
  // arrive before connection_lost(), never after it, and never twice.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  endpoint.protocol->on_datagram = [&](Recorder& recorder) {
    if (recorder.in_close) return;
    recorder.in_close = true;
    endpoint.transport->close();
    send_datagram(peer.get(), "after close", loopback(AF_INET, port));
  };
  send_datagram(peer.get(), "before close", loopback(AF_INET, port));
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->lost(); }, "connection_lost() after close()");
  // A few more turns of the loop, for anything a broken loop still delivers.
  for (int i = 0; i < 3; ++i) {
    loop->call_soon([&] { loop->stop(); });
    ctx.run_forever(*loop, "three more iterations after connection_lost()");
  }
  CHECK_THAT(follows_datagram_chart(endpoint.protocol->calls),
             str("connection_made, datagrams, connection_lost once, last (got ",
                 trace(endpoint.protocol->calls), ")"));
  std::vector<std::string> payloads = endpoint.protocol->payloads();
  CHECK_THAT(payloads == std::vector<std::string>{"before close"} ||
                 payloads == (std::vector<std::string>{"before close", "after close"}),
             "the datagram before close() is delivered once; the one after it at most once");
}

LOOPCERT_CASE("datagrams.close.frees_the_socket", clauses("TR-DGRAM-CLOSE", "TR-DGRAM-SENDTO")) {
  // Once connection_lost() was called the endpoint's socket is closed: a
  // new endpoint binds the same port and works (sends, receives), which it
  // could not if its descriptor were disturbed by the old endpoint.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint old_endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  close(ctx, *loop, old_endpoint);
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  endpoint.transport->sendto(as_bytes("from the new endpoint"), local_address(peer.get()));
  std::vector<Datagram> got;
  run_until(
      ctx, *loop,
      [&] {
        if (auto datagram = try_receive(peer.get())) got.push_back(std::move(*datagram));
        return !got.empty() || !endpoint.protocol->errors.empty();
      },
      "the new endpoint's datagram, or an error");
  CHECK_THAT(endpoint.protocol->errors.empty(),
             str("the new endpoint sends without error (got ",
                 endpoint.protocol->errors.empty() ? "" : exception_what(endpoint.protocol->errors[0]), ")"));
  REQUIRE_EQUAL(got.size(), 1u, "the new endpoint on the old endpoint's port sends");
  send_datagram(peer.get(), "to the new endpoint", got[0].from);
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty() || !endpoint.protocol->errors.empty(); },
      "a datagram to the new endpoint, or an error");
  CHECK_EQUAL(endpoint.protocol->datagrams.size(), 1u,
              "the new endpoint on the old endpoint's port receives");
  close(ctx, *loop, endpoint);
}

LOOPCERT_CASE("datagrams.abort.closes_at_once", clauses("TR-DGRAM-ABORT")) {
  // abort() inside datagram_received() with two more datagrams already
  // waiting on the socket: "Immediately close the transport":
  // connection_lost(None) follows once, nothing is delivered after it, and
  // the port is free.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", port}});
  endpoint.protocol->on_datagram = [&](Recorder& recorder) {
    if (recorder.in_close) return;
    recorder.in_close = true;
    endpoint.transport->abort();
  };
  for (const char* payload : {"one", "two", "three"})
    send_datagram(peer.get(), payload, loopback(AF_INET, port));
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->lost(); }, "connection_lost() after abort()");
  // More loop iterations: a datagram after connection_lost() would show up now.
  int ticks = 0;
  stop_when(*loop, [&] { return ++ticks == 5; });
  ctx.run_forever(*loop, "five more loop iterations");
  // abort() stops reading or not (decision D-TR-10): one to three
  // datagrams, each at most once, and none after connection_lost().
  std::vector<std::string> payloads = endpoint.protocol->payloads();
  std::sort(payloads.begin(), payloads.end());
  CHECK_THAT(!payloads.empty() && payloads.size() <= 3 &&
                 std::adjacent_find(payloads.begin(), payloads.end()) == payloads.end(),
             str("one to three datagrams, each delivered at most once (got ", payloads.size(), ")"));
  CHECK_THAT(
      follows_datagram_chart(endpoint.protocol->calls),
      str("connection_made, ..., connection_lost once, last (got ", trace(endpoint.protocol->calls), ")"));
  CHECK_EQUAL(endpoint.protocol->count("connection_lost"), 1, "connection_lost() is called once");
  CHECK_THAT(endpoint.protocol->lost_with == nullptr, "abort() leads to connection_lost(None)");
  UniqueFd rebound(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  SocketAddress address = loopback(AF_INET, port);
  CHECK_THAT(::bind(rebound.get(), address.data(), address.size()) == 0,
             "after abort() and connection_lost() the endpoint's socket is closed (its port is free)");
}

LOOPCERT_CASE("datagrams.abort.discards_pending_datagrams", clauses("TR-DGRAM-ABORT", "PROTO-DGRAM-SEQ")) {
  // sendto() then abort() in one callback: "Buffered data will be
  // discarded", so at most what was sent at once arrives, nothing twice;
  // and the protocol sees connection_lost() once, last.
  auto loop = ctx.new_loop();
  UniqueFd peer = udp_socket();
  Endpoint endpoint =
      open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", local_address(peer.get()).port()}});
  loop->call_soon([&] {
    for (const char* payload : {"one", "two", "three"}) endpoint.transport->sendto(as_bytes(payload));
    endpoint.transport->abort();
  });
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->lost(); }, "connection_lost() after abort()");
  std::vector<std::string> payloads;
  while (auto datagram = try_receive(peer.get())) payloads.push_back(datagram->data);
  CHECK_THAT(payloads.size() <= 3, "no datagram is sent twice");
  CHECK_THAT(
      follows_datagram_chart(endpoint.protocol->calls),
      str("connection_made, ..., connection_lost once, last (got ", trace(endpoint.protocol->calls), ")"));
}

// --- the calls a datagram transport makes ---------------------------------------------

LOOPCERT_CASE("datagrams.calls.only_datagram_protocol_methods",
              clauses("TR-DGRAM-CALLS", "PROTO-DGRAM-SEQ")) {
  // An endpoint's whole life: an error, datagrams both ways, close(). Only
  // connection_made, error_received, datagram_received and
  // connection_lost are called, in the chart's order.
  auto loop = ctx.new_loop();
  std::uint16_t port = unused_port();
  Endpoint endpoint = open(ctx, *loop, {.remote_addr = HostPort{"127.0.0.1", port}});
  endpoint.transport->sendto(as_bytes("nobody listens"));
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->errors.empty(); }, "error_received()");
  UniqueFd peer = udp_socket(AF_INET, port);
  endpoint.transport->sendto(as_bytes("hello"));
  auto got = receive(ctx, *loop, peer.get(), 1, "the endpoint's datagram");
  REQUIRE_EQUAL(got.size(), 1u, "the peer receives the endpoint's datagram");
  send_datagram(peer.get(), "reply", got[0].from);
  run_until(
      ctx, *loop, [&] { return !endpoint.protocol->datagrams.empty(); }, "the peer's reply");
  close(ctx, *loop, endpoint);
  CHECK_THAT(
      follows_datagram_chart(endpoint.protocol->calls),
      str("only connection_made, datagram_received, error_received and connection_lost, in that chart (got ",
          trace(endpoint.protocol->calls), ")"));
}

LOOPCERT_CASE("datagrams.seq.connection_lost_once_after_repeated_close", clauses("PROTO-DGRAM-SEQ")) {
  // close() twice and abort() after it: still one connection_lost(), and
  // nothing after it however long the loop runs on.
  auto loop = ctx.new_loop();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}});
  endpoint.transport->close();
  endpoint.transport->close();
  endpoint.transport->abort();
  run_until(
      ctx, *loop, [&] { return endpoint.protocol->lost(); }, "connection_lost()");
  int iterations = 0;
  stop_when(*loop, [&] { return ++iterations == 5; });
  ctx.run_forever(*loop, "five more timer ticks");
  CHECK_THAT(
      follows_datagram_chart(endpoint.protocol->calls) && endpoint.protocol->calls.size() == 2,
      str("connection_made once, then connection_lost once (got ", trace(endpoint.protocol->calls), ")"));
}

LOOPCERT_CASE("datagrams.extra_info.unknown_name_gives_default", clauses("TR-EXTRA-INFO-DEFAULT")) {
  // "For an unsupported name, the default is always returned", on a
  // datagram transport too.
  auto loop = ctx.new_loop();
  Endpoint endpoint = open(ctx, *loop, {.local_addr = HostPort{"127.0.0.1", 0}});
  CHECK_EQUAL(endpoint.transport->get_extra_info<int>("no such extra field", 42), 42,
              "get_extra_info(unknown name, default) returns the default");
  CHECK_THAT(!endpoint.transport->get_extra_info("no such extra field").has_value(),
             "get_extra_info(unknown name) returns None");
  close(ctx, *loop, endpoint);
}
