// Datagram endpoints (PEP 3156, "Internet connections":
// create_datagram_endpoint(); "Datagram Transports"; "Datagram Protocols").
//
// The peers are plain UDP sockets of the case's own on the loopback: the
// case controls exactly who sends what, and learns the endpoint's address
// from the source of what the endpoint sends. Nothing here sleeps: the case
// waits for a datagram to arrive (a non-blocking recvfrom() polled by
// stop_when) or for the protocol callback itself.
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <any>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"

using namespace pep3156;
using conformance::exception_what;
using conformance::run_until;
using conformance::stop_when;
using conformance::str;
using conformance::UniqueFd;
using net_support::socket_family;

namespace {

struct Datagram {
  std::string data;
  SocketAddress from;
};

/// Records every call the transport makes on its protocol, in order.
struct Recorder : DatagramProtocol {
  std::vector<std::string> calls;
  std::shared_ptr<BaseTransport> transport;  // from connection_made until connection_lost
  std::vector<Datagram> datagrams;
  std::vector<std::exception_ptr> errors;
  std::exception_ptr lost_with;
  std::function<void(Recorder&)> on_datagram;  // optional: runs inside datagram_received
  bool in_close = false;                       // set by cases around their own close()/abort()

  void connection_made(std::shared_ptr<BaseTransport> t) override {
    calls.push_back("connection_made");
    transport = std::move(t);
  }
  void datagram_received(BytesView data, const SocketAddress& from) override {
    calls.push_back("datagram_received");
    datagrams.push_back({to_string(data), from});
    if (on_datagram) on_datagram(*this);
  }
  void error_received(std::exception_ptr exc) override {
    calls.push_back("error_received");
    errors.push_back(std::move(exc));
  }
  void connection_lost(std::exception_ptr exc) override {
    calls.push_back("connection_lost");
    lost_with = std::move(exc);
    transport.reset();
  }
  // Not datagram methods: recorded, and ignored by follows_datagram_chart().
  void pause_writing() override { calls.push_back("pause_writing"); }
  void resume_writing() override { calls.push_back("resume_writing"); }

  int count(const std::string& name) const {
    int n = 0;
    for (const auto& call : calls) n += call == name ? 1 : 0;
    return n;
  }
  bool made() const { return count("connection_made") > 0; }
  bool lost() const { return count("connection_lost") > 0; }
  /// The payloads received, in order.
  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& d : datagrams) out.push_back(d.data);
    return out;
  }
};

/// What create_datagram_endpoint() produced, with the recorder behind it.
struct Endpoint {
  std::shared_ptr<DatagramTransport> transport;
  std::shared_ptr<Recorder> protocol;
  std::shared_ptr<int> factory_calls = std::make_shared<int>(0);
};

SocketAddress loopback(int family, std::uint16_t port) {
  return SocketAddress(family == AF_INET6 ? "::1" : "127.0.0.1", port);
}

SocketAddress local_address(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) throw_errno("getsockname");
  return SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length);
}

/// A non-blocking UDP socket of the case's own, bound to the loopback.
UniqueFd udp_socket(int family = AF_INET, std::uint16_t port = 0) {
  UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  SocketAddress address = loopback(family, port);
  if (::bind(fd.get(), address.data(), address.size()) != 0) throw_errno("bind");
  return fd;
}

/// A loopback port nothing is bound to now (bound once, then released).
std::uint16_t unused_port(int family = AF_INET) { return local_address(udp_socket(family).get()).port(); }

void send_datagram(int fd, std::string_view payload, const SocketAddress& to) {
  if (::sendto(fd, payload.data(), payload.size(), 0, to.data(), to.size()) < 0) throw_errno("sendto");
}

/// One datagram waiting on fd, if any (never blocks).
std::optional<Datagram> try_receive(int fd) {
  std::string buffer(65536, '\0');
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&storage), &length);
  if (n < 0) return std::nullopt;
  buffer.resize(static_cast<std::size_t>(n));
  return Datagram{std::move(buffer), SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length)};
}

/// Runs the loop until fd has received `count` datagrams (what the
/// endpoint sent: the transport may buffer, so the loop must run).
std::vector<Datagram> receive(conformance::Context& ctx, AbstractEventLoop& loop, int fd, std::size_t count,
                              std::string waiting_for) {
  std::vector<Datagram> got;
  stop_when(loop, [&] {
    while (got.size() < count) {
      auto datagram = try_receive(fd);
      if (!datagram) break;
      got.push_back(std::move(*datagram));
    }
    return got.size() >= count;
  });
  ctx.run_forever(loop, std::move(waiting_for));
  return got;
}

/// Creates an endpoint over a Recorder and waits for connection_made(),
/// which may come before or after the Future completes (D-NET-1).
Endpoint open(conformance::Context& ctx, AbstractEventLoop& loop, DatagramOptions options) {
  Endpoint endpoint;
  auto recorder = std::make_shared<Recorder>();
  auto calls = endpoint.factory_calls;
  auto future = loop.create_datagram_endpoint(
      [recorder, calls] {
        ++*calls;
        return recorder;
      },
      std::move(options));
  DatagramConnection pair = ctx.run_until_complete(loop, future, "create_datagram_endpoint()");
  REQUIRE_THAT(pair.first != nullptr, "create_datagram_endpoint() yields a transport");
  endpoint.transport = pair.first;
  endpoint.protocol = recorder;
  REQUIRE_THAT(pair.second == recorder, "the pair's protocol is the one protocol_factory() returned");
  run_until(
      ctx, loop, [&] { return recorder->made(); }, "connection_made() of a new datagram endpoint");
  return endpoint;
}

/// Closes the endpoint (if the case has not) and waits for connection_lost().
void close(conformance::Context& ctx, AbstractEventLoop& loop, const Endpoint& endpoint) {
  if (!endpoint.protocol->lost()) endpoint.transport->close();
  run_until(
      ctx, loop, [&] { return endpoint.protocol->lost(); }, "connection_lost() after close()");
}

/// -1 if creating the endpoint fails, by a throw from the call or through
/// its Future (D-TIER-3); else the family of its socket (0 if unknown). An
/// endpoint created is closed again.
int created_family(conformance::Context& ctx, AbstractEventLoop& loop, DatagramOptions options) {
  auto recorder = std::make_shared<Recorder>();
  Future<DatagramConnection> future;
  try {
    future = loop.create_datagram_endpoint([recorder] { return recorder; }, std::move(options));
  } catch (const std::exception&) {
    return -1;
  }
  try {
    DatagramConnection pair = ctx.run_until_complete(loop, future, "create_datagram_endpoint()");
    int family = socket_family(*pair.first);
    run_until(
        ctx, loop, [&] { return recorder->made(); }, "connection_made() of the endpoint");
    close(ctx, loop, Endpoint{pair.first, recorder});
    return family;
  } catch (const std::exception&) {
    return -1;
  }
}

/// Whether creating the endpoint fails (see created_family()).
bool creation_fails(conformance::Context& ctx, AbstractEventLoop& loop, DatagramOptions options) {
  return created_family(ctx, loop, std::move(options)) < 0;
}

bool is_connection_refused(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::system_error& error) {
    return error.code() == std::errc::connection_refused;
  } catch (...) {
    return false;
  }
}

/// The PEP's chart: connection_made once, datagram_received/error_received
/// any number of times, connection_lost once. pause_writing() and
/// resume_writing() are ignored: the PEP does not say a datagram transport
/// never calls them.
bool follows_datagram_chart(std::vector<std::string> calls) {
  std::erase_if(calls,
                [](const std::string& call) { return call == "pause_writing" || call == "resume_writing"; });
  if (calls.size() < 2 || calls.front() != "connection_made" || calls.back() != "connection_lost")
    return false;
  for (std::size_t i = 1; i + 1 < calls.size(); ++i) {
    if (calls[i] != "datagram_received" && calls[i] != "error_received") return false;
  }
  return true;
}

std::string trace(const std::vector<std::string>& calls) {
  std::string out;
  for (const auto& call : calls) out += (out.empty() ? "" : " ") + call;
  return out;
}

/// Whether "localhost" resolves to both 127.0.0.1 and ::1 here (the cases
/// about several candidates need two).
bool localhost_is_dual_stack() {
  bool v4 = false;
  bool v6 = false;
  try {
    for (const AddrInfo& info : getaddrinfo_blocking("localhost", "0", {.type = SOCK_DGRAM})) {
      v4 |= info.family == AF_INET;
      v6 |= info.family == AF_INET6;
    }
  } catch (const std::exception&) {
    return false;
  }
  return v4 && v6;
}

}  // namespace

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

LOOPCERT_CASE("datagrams.addr_combinations.local_candidate_matching_remote",
              clauses("LOOP-DGRAM-ADDR-COMBINATIONS").needs(Category::ipv6)) {
  // "all combinations of local and remote addresses with matching address
  // family will be tried": local "localhost" has an IPv4 and an IPv6
  // candidate; each remote family must be paired with its own.
  if (!localhost_is_dual_stack())
    ctx.unsupported("\"localhost\" does not resolve to both 127.0.0.1 and ::1 here");
  auto loop = ctx.new_loop();
  for (int family : {AF_INET, AF_INET6}) {
    UniqueFd peer = udp_socket(family);
    std::uint16_t port = local_address(peer.get()).port();
    Endpoint endpoint = open(ctx, *loop,
                             {.local_addr = HostPort{"localhost", 0},
                              .remote_addr = HostPort{family == AF_INET ? "127.0.0.1" : "::1", port}});
    endpoint.transport->sendto(as_bytes("matched"));
    auto got = receive(ctx, *loop, peer.get(), 1, "a datagram to the remote_addr");
    CHECK_THAT(got.size() == 1 && got[0].from.family() == family,
               str("the local candidate of the remote's family is chosen (family ", family, ")"));
    close(ctx, *loop, endpoint);
  }
}

LOOPCERT_CASE("datagrams.addr_combinations.remote_candidate_matching_local",
              clauses("LOOP-DGRAM-ADDR-COMBINATIONS").needs(Category::ipv6)) {
  // The other way round: remote "localhost" has two candidates, the local
  // address one family.
  if (!localhost_is_dual_stack())
    ctx.unsupported("\"localhost\" does not resolve to both 127.0.0.1 and ::1 here");
  auto loop = ctx.new_loop();
  for (int family : {AF_INET, AF_INET6}) {
    UniqueFd peer = udp_socket(family);
    std::uint16_t port = local_address(peer.get()).port();
    Endpoint endpoint = open(ctx, *loop,
                             {.local_addr = HostPort{family == AF_INET ? "127.0.0.1" : "::1", 0},
                              .remote_addr = HostPort{"localhost", port}});
    endpoint.transport->sendto(as_bytes("matched"));
    auto got = receive(ctx, *loop, peer.get(), 1, "a datagram to the remote candidate of the local family");
    CHECK_EQUAL(got.size(), 1u,
                str("the remote candidate of the local family is chosen (family ", family, ")"));
    close(ctx, *loop, endpoint);
  }
}

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
              clauses("TR-DGRAM-SENDTO-DEFAULT-ADDR")) {
  // "If present, and remote_addr was specified, they must match": another
  // address is an error (any exception, D-TR-8) and nothing goes there.
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
