// create_server() and the Server it returns (PEP 3156, "Internet
// connections" and "Servers"), and the seed draft's start_serving() /
// stop_serving() on top of it.
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_testing.hpp"
#include "reference/net/socket_ops.hpp"

using namespace pep3156;
using namespace pep3156::testing;
using reference::net::host_has_ipv6_loopback;

namespace {

int int_option(int fd, int level, int option) {
  int value = -1;
  socklen_t length = sizeof value;
  REQUIRE(::getsockopt(fd, level, option, &value, &length) == 0);
  return value;
}

/// A client connection to `port`, recorded.
std::shared_ptr<RecordingProtocol> connect_client(AbstractEventLoop& loop, RecordingFactory& clients,
                                                  std::uint16_t port, const std::string& host = "127.0.0.1") {
  run(loop, loop.create_connection(clients.factory(), host, port));
  return clients.made.back();
}

bool refused(AbstractEventLoop& loop, std::uint16_t port) {
  RecordingFactory clients{loop};
  try {
    rethrow(loop, loop.create_connection(clients.factory(), "127.0.0.1", port));
  } catch (const std::system_error& e) {
    return e.code().value() == ECONNREFUSED;
  }
  return false;
}

}  // namespace

TEST_CASE("create_server() on port 0: sockets() tells the port, each connection gets its own protocol") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, echo};
    auto server =
        run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));  // LOOP-SERVER-RETURNS-SERVER
    auto sockets = server->sockets();
    REQUIRE(sockets.size() == 1);
    std::uint16_t port = sockets[0].address.port();
    CHECK(port != 0);
    CHECK(int_option(sockets[0].fd, SOL_SOCKET, SO_REUSEADDR) == 1);  // LOOP-SERVER-REUSE-ADDRESS
    CHECK(int_option(sockets[0].fd, SOL_SOCKET, SO_ACCEPTCONN) == 1);

    RecordingFactory clients{loop};
    auto a = connect_client(loop, clients, port);
    auto b = connect_client(loop, clients, port);
    a->transport->write(std::string_view("to a"));
    b->transport->write(std::string_view("to b"));
    run_until(loop, [&] { return a->received == "to a" && b->received == "to b"; });
    REQUIRE(servers.made.size() == 2);  // LOOP-SERVER-PER-CONNECTION
    CHECK(servers.made[0] != servers.made[1]);
    CHECK(servers.made[0]->calls.front() == "made");
    a->transport->close();
    b->transport->close();
    server->close();
    run(loop, server->wait_closed());
    CHECK(servers.made[0]->is_lost());
    CHECK(servers.made[1]->is_lost());
  });
}

TEST_CASE("Server.close() stops accepting; accepted connections go on; wait_closed() waits for them") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));
    std::uint16_t port = server->sockets().at(0).address.port();
    RecordingFactory clients{loop};
    auto client = connect_client(loop, clients, port);
    run_until(loop, [&] { return servers.made.size() == 1; });

    auto closed = server->wait_closed();
    server->close();  // SERVER-CLOSE
    server->close();  // idempotent
    CHECK(server->sockets().empty());
    CHECK(refused(loop, port));
    client->transport->write(std::string_view("still served"));
    run_until(loop, [&] { return client->received == "still served"; });
    spin(loop);
    CHECK_FALSE(closed.done());  // decision D-SERVER-2: a connection is still open
    client->transport->close();
    run(loop, closed);  // SERVER-WAIT-CLOSED
    CHECK(servers.made[0]->is_lost());
    run(loop, server->wait_closed());  // done at once now
  });
}

TEST_CASE("create_server() with no host listens on IPv4 and IPv6, the IPv6 socket IPV6_V6ONLY") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_server(servers.factory(), "", 0, {.backlog = 5}));
    auto sockets = server->sockets();
    bool has_v4 = false;
    for (const ListeningSocket& s : sockets) {
      if (s.address.family() == AF_INET6) {
        CHECK(int_option(s.fd, IPPROTO_IPV6, IPV6_V6ONLY) == 1);  // LOOP-SERVER-DUAL-STACK
      } else {
        has_v4 = true;
        CHECK(s.address.host() == "0.0.0.0");
      }
    }
    CHECK(has_v4);
    CHECK(sockets.size() == (host_has_ipv6_loopback() ? 2u : 1u));
    RecordingFactory clients{loop};
    for (const ListeningSocket& s : sockets) {
      auto client = connect_client(loop, clients, s.address.port(),
                                   s.address.family() == AF_INET6 ? "::1" : "127.0.0.1");
      client->transport->write(std::string_view("ping"));
      run_until(loop, [&] { return client->received == "ping"; });
      client->transport->close();
    }
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("create_server(): reuse_address=false, sock=, and the errors") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, echo};
    auto plain = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0, {.reuse_address = false}));
    CHECK(int_option(plain->sockets().at(0).fd, SOL_SOCKET, SO_REUSEADDR) == 0);
    std::uint16_t taken = plain->sockets().at(0).address.port();

    // The port is taken: bind() fails with EADDRINUSE.
    try {
      rethrow(loop, loop.create_server(servers.factory(), "127.0.0.1", taken, {.reuse_address = false}));
      FAIL("bound a port in use");
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == EADDRINUSE);
    }
    plain->close();

    // LOOP-SERVER-SOCK: a bound socket of the caller's.
    Socket own = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    reference::net::bind_to(own.fd(), SocketAddress("127.0.0.1", 0));
    int own_fd = own.fd();
    auto server = run(loop, loop.create_server(servers.factory(), "", 0, {.sock = std::move(own)}));
    CHECK(server->sockets().at(0).fd == own_fd);
    RecordingFactory clients{loop};
    auto client = connect_client(loop, clients, server->sockets()[0].address.port());
    client->transport->close();
    server->close();

    Socket extra = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    CHECK_THROWS_AS(loop.create_server(servers.factory(), "127.0.0.1", 0, {.sock = std::move(extra)}),
                    ValueError);
    Socket datagram = reference::net::open_socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_THROWS_AS(loop.create_server(servers.factory(), "", 0, {.sock = std::move(datagram)}), ValueError);
    CHECK_THROWS_AS(loop.create_server(servers.factory(), "127.0.0.1", 0,
                                       {.ssl = SSLContext::create_default_context()}),  // a client context
                    ValueError);
    run(loop, server->wait_closed());
    run(loop, plain->wait_closed());
  });
}

TEST_CASE("a protocol factory that throws is reported and the server goes on") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::vector<ExceptionContext> errors;
    loop.set_exception_handler([&](AbstractEventLoop&, const ExceptionContext& c) { errors.push_back(c); });
    RecordingFactory good{loop, {}, echo};
    bool fail_next = true;
    ProtocolFactory factory = [&]() -> std::shared_ptr<Protocol> {
      if (std::exchange(fail_next, false)) throw std::runtime_error("no protocol today");
      return good.factory()();
    };
    auto server = run(loop, loop.create_server(factory, "127.0.0.1", 0));
    std::uint16_t port = server->sockets().at(0).address.port();
    RecordingFactory clients{loop};
    auto first = connect_client(loop, clients, port);
    run(loop, first->lost);  // the server closed it at once
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "accepting a connection failed");
    auto second = connect_client(loop, clients, port);
    second->transport->write(std::string_view("served"));
    run_until(loop, [&] { return second->received == "served"; });
    second->transport->close();
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("the seed draft's start_serving() and stop_serving() work over create_server(sock=...)") {
  for_each_loop([](AbstractEventLoop& loop) {
    RecordingFactory servers{loop, {}, echo};
    auto listening = run(loop, loop.start_serving(servers.factory(), "127.0.0.1", 0));
    REQUIRE(listening.size() == 1);
    std::uint16_t port = listening[0].address.port();
    RecordingFactory clients{loop};
    auto client = connect_client(loop, clients, port);
    client->transport->write(std::string_view("draft"));
    run_until(loop, [&] { return client->received == "draft"; });
    loop.stop_serving(listening[0].fd);
    CHECK(refused(loop, port));
    client->transport->write(std::string_view(" still"));  // accepted connections are not affected
    run_until(loop, [&] { return client->received == "draft still"; });
    CHECK_THROWS_AS(loop.stop_serving(listening[0].fd), ValueError);
    client->transport->close();
    run(loop, client->lost);
    run_until(loop, [&] { return servers.made.at(0)->is_lost(); });
  });
}
