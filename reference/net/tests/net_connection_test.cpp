// Name lookups and create_connection() (PEP 3156, "Internet name lookups"
// and "Internet connections").
#include <netdb.h>
#include <sys/socket.h>

#include "net_testing.hpp"
#include "reference/net/socket_ops.hpp"

using namespace pep3156;
using namespace pep3156::testing;
using reference::net::host_has_ipv6_loopback;

namespace {

/// An echo server on 127.0.0.1 and its port.
std::pair<std::shared_ptr<Server>, std::uint16_t> echo_server(AbstractEventLoop& loop,
                                                              RecordingFactory& factory) {
  factory.configure = echo;
  auto server = run(loop, loop.create_server(factory.factory(), "127.0.0.1", 0));
  return {server, server->sockets().at(0).address.port()};
}

/// A port nothing listens on (one that was just in use).
std::uint16_t closed_port() {
  Socket sock = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
  reference::net::bind_to(sock.fd(), SocketAddress("127.0.0.1", 0));
  return sock.local_address().port();
}

/// Echo round trip on a connection, then close both ends.
void check_echo(AbstractEventLoop& loop, RecordingProtocol& client, std::string_view text) {
  client.transport->write(text);
  run_until(loop, [&] { return client.received.size() >= text.size(); });
  CHECK(client.received == text);
  client.transport->close();
  run(loop, client.lost);
}

template <class F>
std::string system_error_of(F&& f, int* code = nullptr) {
  try {
    f();
  } catch (const std::system_error& e) {
    if (code) *code = e.code().value();
    return e.what();
  }
  FAIL("no std::system_error");
  return {};
}

}  // namespace

TEST_CASE("getaddrinfo() returns the PEP's 5-tuples without blocking the loop") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto rows =
        run(loop, loop.getaddrinfo("127.0.0.1", "80", {.type = SOCK_STREAM}));  // LOOP-GAI-FUTURE-LIST
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].family == AF_INET);
    CHECK(rows[0].type == SOCK_STREAM);
    CHECK(rows[0].address == SocketAddress("127.0.0.1", 80));  // LOOP-GAI-ADDRESS-SHAPE

    auto names = run(loop, loop.getaddrinfo("localhost", "http", {.family = AF_INET, .type = SOCK_STREAM}));
    REQUIRE_FALSE(names.empty());
    for (const AddrInfo& row : names) {
      CHECK(row.family == AF_INET);  // LOOP-GAI-FAMILY-FILTER
      CHECK(row.address.port() == 80);
    }
    if (host_has_ipv6_loopback()) {
      auto v6 = run(loop, loop.getaddrinfo("::1", "443", {.type = SOCK_STREAM}));
      REQUIRE(v6.size() == 1);
      CHECK(v6[0].family == AF_INET6);
      CHECK(v6[0].address.port() == 443);
      CHECK(v6[0].address.scope_id() == 0);
    }
  });
}

TEST_CASE("getaddrinfo() errors: ValueError for a bad family, gai errors as std::system_error") {
  for_each_loop([](AbstractEventLoop& loop) {
    CHECK_THROWS_AS(loop.getaddrinfo("127.0.0.1", "80", {.family = AF_UNIX}),
                    ValueError);  // LOOP-GAI-FAMILY-VALUES
    try {
      rethrow(loop, loop.getaddrinfo("no-such-host.invalid", "80"));
      FAIL("resolved an .invalid name");
    } catch (const std::system_error& e) {
      CHECK(e.code().category() == gai_category());
    }
  });
}

TEST_CASE("getnameinfo() maps an address back to host and port") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto name =
        run(loop, loop.getnameinfo(SocketAddress("127.0.0.1", 8080), NI_NUMERICHOST | NI_NUMERICSERV));
    CHECK(name.host == "127.0.0.1");
    CHECK(name.port == "8080");
  });
}

TEST_CASE("create_connection() returns (transport, protocol) with connection_made() already called") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop};
    auto [server, port] = echo_server(loop, servers);
    RecordingFactory clients{loop};
    auto [transport, protocol] = run(loop, loop.create_connection(clients.factory(), "127.0.0.1", port));
    auto client = std::static_pointer_cast<RecordingProtocol>(protocol);
    CHECK(protocol == clients.made.at(0));                     // LOOP-CONN-RESULT-PAIR
    CHECK(client->calls == std::vector<std::string>{"made"});  // decision D-NET-1
    CHECK(client->transport == transport);
    CHECK(transport->get_extra_info<SocketAddress>("peername", {}) == SocketAddress("127.0.0.1", port));
    check_echo(loop, *client, "hello, server");
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("create_connection() tries every address in turn; the first that accepts wins") {
  if (!host_has_ipv6_loopback()) return;
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop};
    auto [server, port] = echo_server(loop, servers);  // IPv4 only
    // No host resolves to [::1, 127.0.0.1]: ::1 refuses, 127.0.0.1 accepts.
    auto rows = run(loop, loop.getaddrinfo("", std::to_string(port), {.type = SOCK_STREAM}));
    REQUIRE(rows.size() == 2);
    REQUIRE(rows[0].family == AF_INET6);
    RecordingFactory clients{loop};
    auto connection = run(loop, loop.create_connection(clients.factory(), "", port));
    CHECK(connection.first->get_extra_info<SocketAddress>("peername", {}) ==
          SocketAddress("127.0.0.1", port));
    check_echo(loop, *clients.made.at(0), "second address");
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("create_connection() fails with one error naming every address and its failure") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::uint16_t port = closed_port();
    RecordingFactory clients{loop};
    int code = 0;
    std::string one = system_error_of(
        [&] { rethrow(loop, loop.create_connection(clients.factory(), "127.0.0.1", port)); }, &code);
    CHECK(code == ECONNREFUSED);  // LOOP-CONN-FAILURE-RAISES
    CHECK(one.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    if (host_has_ipv6_loopback()) {
      std::string all =
          system_error_of([&] { rethrow(loop, loop.create_connection(clients.factory(), "", port)); }, &code);
      CHECK(code == ECONNREFUSED);
      CHECK(all.find("[::1]:" + std::to_string(port)) != std::string::npos);
      CHECK(all.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
    }
    CHECK(clients.made.empty());  // no protocol for a connection that failed
  });
}

TEST_CASE("create_connection(): family filters the addresses, local_addr binds the local end") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop};
    auto [server, port] = echo_server(loop, servers);
    RecordingFactory clients{loop};
    auto connection =
        run(loop, loop.create_connection(clients.factory(), "", port,
                                         {.family = AF_INET, .local_addr = HostPort{"127.0.0.2", 0}}));
    SocketAddress local = connection.first->get_extra_info<SocketAddress>("sockname", {});
    CHECK(local.host() == "127.0.0.2");  // LOOP-CONN-LOCAL-ADDR
    run_until(loop, [&] { return servers.made.size() == 1; });
    run(loop, servers.made[0]->made);
    CHECK(servers.made[0]->transport->get_extra_info<SocketAddress>("peername", {}) == local);
    check_echo(loop, *clients.made.at(0), "from 127.0.0.2");
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("create_connection(sock=...) uses a connected socket; bad combinations are ValueErrors") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop};
    auto [server, port] = echo_server(loop, servers);
    Socket sock = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    run(loop, loop.sock_connect(sock.fd(), SocketAddress("127.0.0.1", port)));
    RecordingFactory clients{loop};
    run(loop, loop.create_connection(clients.factory(), "", 0, {.sock = std::move(sock)}));  // LOOP-CONN-SOCK
    check_echo(loop, *clients.made.at(0), "over my own socket");

    Socket other = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    CHECK_THROWS_AS(loop.create_connection(clients.factory(), "127.0.0.1", port, {.sock = std::move(other)}),
                    ValueError);
    CHECK_THROWS_AS(loop.create_connection(clients.factory(), "", 0), ValueError);
    Socket datagram = reference::net::open_socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_THROWS_AS(loop.create_connection(clients.factory(), "", 0, {.sock = std::move(datagram)}),
                    ValueError);
    CHECK_THROWS_AS(
        loop.create_connection(clients.factory(), "127.0.0.1", port, {.server_hostname = "example.com"}),
        ValueError);
    CHECK_THROWS_AS(
        loop.create_connection(clients.factory(), "127.0.0.1", port, {.ssl_handshake_timeout = 1.0}),
        ValueError);
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("create_connection(): a factory that makes no protocol is a TypeError, and nothing leaks") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop};
    auto [server, port] = echo_server(loop, servers);
    ProtocolFactory none = [] { return std::shared_ptr<Protocol>(); };
    CHECK_THROWS_AS(rethrow(loop, loop.create_connection(none, "127.0.0.1", port)), TypeError);
    ProtocolFactory throwing = []() -> std::shared_ptr<Protocol> {
      throw std::runtime_error("factory failed");
    };
    CHECK_THROWS_AS(rethrow(loop, loop.create_connection(throwing, "127.0.0.1", port)), std::runtime_error);
    server->close();
    run(loop, server->wait_closed());  // the accepted connections saw EOF and ended
  });
}
