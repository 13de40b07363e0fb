// TLS through create_connection() and create_server(): our client with our
// server, openssl s_server and s_client as the other end, certificates that
// must be refused, peers that stall mid-handshake, and a server that goes
// on serving after a failed handshake.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "net_testing.hpp"
#include "tls_support.hpp"

namespace pep3156::reference::testing {
namespace {

using pep3156::testing::ChildProcess;
using pep3156::testing::echo;
using pep3156::testing::for_each_loop;
using pep3156::testing::RecordingFactory;
using pep3156::testing::RecordingProtocol;
using pep3156::testing::rethrow;
using pep3156::testing::run;
using pep3156::testing::run_until;

/// A server on 127.0.0.1 (TLS with the test certificate unless `options`
/// says otherwise) whose connections get RecordingProtocols.
struct TestServer {
  TestServer(AbstractEventLoop& loop, ServerOptions options) : connections{loop} {
    server = run(loop, loop.create_server(connections.factory(), "127.0.0.1", 0, std::move(options)));
    port = server->sockets().front().address.port();
  }
  explicit TestServer(AbstractEventLoop& loop) : TestServer(loop, {.ssl = TestPki::get().server_context()}) {}

  /// Closes the server and waits for its connections to end.
  void close(AbstractEventLoop& loop) {
    server->close();
    run(loop, server->wait_closed());
  }

  RecordingFactory connections;
  std::shared_ptr<Server> server;
  std::uint16_t port;
};

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST_CASE("TLS: our client and our server; the pair comes after the handshake") {
  for_each_loop([](AbstractEventLoop& loop) {
    TestServer server(loop);
    server.connections.configure = echo;
    auto context = TestPki::get().client_context();
    RecordingFactory clients{loop};
    ConnectionOptions options{.ssl = context};
    SUBCASE("an IP address is checked against the certificate's IP addresses") {}
    SUBCASE("server_hostname overrides the host (LOOP-CONN-SERVER-HOSTNAME)") {
      options.server_hostname = "localhost";
    }
    auto [transport, protocol] =
        run(loop, loop.create_connection(clients.factory(), "127.0.0.1", server.port, std::move(options)));
    RecordingProtocol& client = *clients.made.at(0);
    CHECK(protocol.get() == &client);
    CHECK(client.made.done());  // D-NET-1: connection_made() came first
    CHECK(client.transport == transport);

    CHECK(transport->get_extra_info<std::shared_ptr<SSLContext>>("sslcontext", nullptr) == context);
    CHECK(transport->get_extra_info<std::string>("peercert", "").starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK_FALSE(transport->get_extra_info<std::string>("cipher", "").empty());
    CHECK(transport->get_extra_info("ssl_object").has_value());
    // The TCP transport's keys pass through.
    CHECK(transport->get_extra_info<SocketAddress>("peername", {}).port() == server.port);
    CHECK(transport->get_extra_info<SocketAddress>("sockname", {}).host() == "127.0.0.1");
    CHECK(transport->get_extra_info<int>("socket", -1) >= 0);
    CHECK_FALSE(transport->can_write_eof());
    CHECK_THROWS_AS(transport->write_eof(), NotImplementedError);

    transport->write("hello ");
    BytesView pieces[] = {as_bytes("over "), as_bytes("TLS")};
    transport->writelines(pieces);
    run_until(loop, [&] { return client.received == "hello over TLS"; });
    transport->close();
    run(loop, client.lost);
    CHECK_FALSE(client.lost_error);

    RecordingProtocol& served = *server.connections.made.at(0);
    run(loop, served.lost);
    CHECK(served.eof.done());  // close_notify, and then the server side closed itself
    CHECK(served.calls.front() == "made");
    CHECK(served.calls.back() == "lost");
    CHECK_FALSE(served.lost_error);
    server.close(loop);
  });
}

TEST_CASE("TLS: four megabytes each way arrive whole") {
  for_each_loop([](AbstractEventLoop& loop) {
    TestServer server(loop);
    server.connections.configure = echo;
    RecordingFactory clients{loop};
    auto [transport, protocol] = run(loop, loop.create_connection(clients.factory(), "127.0.0.1", server.port,
                                                                  {.ssl = TestPki::get().client_context()}));
    RecordingProtocol& client = *clients.made.at(0);
    const std::string data = patterned(4 << 20);
    transport->write(data);
    CHECK(client.writing_paused);  // 4 MiB is far above the high-water mark
    run_until(loop, [&] { return client.received.size() >= data.size(); });
    CHECK((client.received == data));
    CHECK((server.connections.made.at(0)->received == data));
    CHECK_FALSE(client.writing_paused);  // resumed as the buffer drained
    transport->close();
    run(loop, client.lost);
    server.close(loop);
  });
}

TEST_CASE("TLS over a UNIX-domain socket") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string path = pep3156::testing::temporary_socket_path("tls");
    RecordingFactory connections{loop};
    connections.configure = echo;
    auto server = run(
        loop, loop.create_unix_server(connections.factory(), path, {.ssl = TestPki::get().server_context()}));
    RecordingFactory clients{loop};
    auto [transport, protocol] =
        run(loop, loop.create_unix_connection(
                      clients.factory(), path,
                      {.ssl = TestPki::get().client_context(), .server_hostname = "localhost"}));
    transport->write("over a UNIX socket");
    RecordingProtocol& client = *clients.made.at(0);
    run_until(loop, [&] { return client.received == "over a UNIX socket"; });
    transport->close();
    run(loop, client.lost);
    server->close();
    run(loop, server->wait_closed());
  });
}

TEST_CASE("TLS: close() flushes what was written; abort() drops the connection") {
  for_each_loop([](AbstractEventLoop& loop) {
    TestServer server(loop);
    RecordingFactory clients{loop};
    auto connect = [&] {
      return run(loop, loop.create_connection(clients.factory(), "127.0.0.1", server.port,
                                              {.ssl = TestPki::get().client_context()}))
          .first;
    };
    const std::string data = patterned(1 << 20);

    auto closing = connect();
    closing->write(data);
    closing->close();
    closing->write("ignored");  // D-TR-2
    CHECK(closing->is_closing());
    RecordingProtocol& flushed = *server.connections.made.at(0);
    run(loop, flushed.lost);
    CHECK((flushed.received == data));
    CHECK(flushed.eof.done());

    auto aborting = connect();
    aborting->write(data);
    aborting->abort();
    CHECK(aborting->is_closing());
    run(loop, clients.made.at(1)->lost);
    CHECK_FALSE(clients.made.at(1)->lost_error);
    run(loop, server.connections.made.at(1)->lost);  // with EOF or a reset: either ends it
    server.close(loop);
  });
}

TEST_CASE("TLS: certificates that must be refused fail create_connection with SSLError") {
  for_each_loop([](AbstractEventLoop& loop) {
    TestServer server(loop);
    HandlerReports reports(loop);
    RecordingFactory clients{loop};
    auto connect = [&](ConnectionOptions options) {
      return loop.create_connection(clients.factory(), "127.0.0.1", server.port, std::move(options));
    };
    SUBCASE("a CA the client does not trust") {
      CHECK_THROWS_WITH_AS(
          rethrow(loop, connect({.ssl = TestPki::client_context(TestPki::get().other_ca())})),
          doctest::Contains("certificate verify failed: unable to get local issuer"), SSLError);
    }
    SUBCASE("ssl=true: the system's trust store does not know the test CA") {
      CHECK_THROWS_WITH_AS(rethrow(loop, connect({.ssl = true, .server_hostname = "localhost"})),
                           doctest::Contains("certificate verify failed"), SSLError);
    }
    SUBCASE("a certificate for another name") {
      CHECK_THROWS_WITH_AS(
          rethrow(loop, connect({.ssl = TestPki::get().client_context(), .server_hostname = "example.com"})),
          doctest::Contains("hostname mismatch, certificate is not valid for 'example.com'"), SSLError);
    }
    // The application's protocol was made but never connected.
    CHECK_FALSE(clients.made.at(0)->made.done());
    // The server saw the handshake fail too, reported it, and serves on.
    reports.wait_for(loop, 1);
    CHECK(reports.contexts.at(0).message == "TLS handshake failed");
    CHECK_FALSE(server.connections.made.at(0)->made.done());
    run(loop, connect({.ssl = TestPki::get().client_context()})).first->close();
    run(loop, server.connections.made.at(1)->lost);
    server.close(loop);
  });
}

TEST_CASE("TLS: the checks create_connection() and create_server() make first") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto factory = [] { return std::make_shared<Protocol>(); };
    auto client_context = TestPki::get().client_context();
    auto no_checks = SSLContext::create_default_context();
    no_checks->check_hostname = false;
    no_checks->set_verify_mode(SSLContext::VerifyMode::none);
    // D-NET-3, and asyncio's rules for the handshake timeout.
    CHECK_THROWS_AS(rethrow(loop, loop.create_connection(factory, "127.0.0.1", 1, {.server_hostname = "x"})),
                    ValueError);
    CHECK_THROWS_AS(
        rethrow(loop, loop.create_connection(factory, "127.0.0.1", 1, {.ssl_handshake_timeout = 1})),
        ValueError);
    CHECK_THROWS_AS(rethrow(loop, loop.create_connection(factory, "127.0.0.1", 1,
                                                         {.ssl = true, .ssl_handshake_timeout = 0.0})),
                    ValueError);
    // No name to check the certificate against; only a context that checks
    // nothing may go without.
    CHECK_THROWS_AS(rethrow(loop, loop.create_connection(factory, "127.0.0.1", 1,
                                                         {.ssl = client_context, .server_hostname = ""})),
                    ValueError);
    CHECK_THROWS_AS(
        rethrow(loop, loop.create_unix_connection(factory, "/nonexistent/socket", {.ssl = client_context})),
        ValueError);
    CHECK_THROWS_AS(rethrow(loop, loop.create_unix_connection(factory, "/nonexistent/socket",
                                                              {.ssl = no_checks, .server_hostname = ""})),
                    std::system_error);  // past the checks: ENOENT
    // D-NET-4: a server needs a server context.
    CHECK_THROWS_AS(rethrow(loop, loop.create_server(factory, "127.0.0.1", 0, {.ssl = client_context})),
                    ValueError);
    CHECK_THROWS_AS(rethrow(loop, loop.create_server(factory, "127.0.0.1", 0, {.ssl_handshake_timeout = 1})),
                    ValueError);
  });
}

TEST_CASE("TLS: a peer that is not TLS fails the handshake, and the server serves on") {
  for_each_loop([](AbstractEventLoop& loop) {
    TestServer server(loop);
    HandlerReports reports(loop);
    RecordingFactory plain{loop};
    auto [transport, protocol] = run(loop, loop.create_connection(plain.factory(), "127.0.0.1", server.port));
    transport->write("GET / HTTP/1.0\r\n\r\n");
    run(loop, plain.made.at(0)->lost);  // the server dropped it
    reports.wait_for(loop, 1);
    CHECK(reports.contexts.at(0).message == "TLS handshake failed");
    CHECK_THROWS_AS(std::rethrow_exception(reports.contexts.at(0).exception), SSLError);

    RecordingFactory clients{loop};
    auto good = run(loop, loop.create_connection(clients.factory(), "127.0.0.1", server.port,
                                                 {.ssl = TestPki::get().client_context()}));
    CHECK(clients.made.at(0)->made.done());
    good.first->close();
    run(loop, clients.made.at(0)->lost);
    server.close(loop);
  });
}

TEST_CASE("TLS: a peer that stalls mid-handshake is timed out and dropped") {
  for_each_loop([](AbstractEventLoop& loop) {
    SUBCASE("our client, a server that never answers") {
      TestServer silent(loop, {});
      RecordingFactory clients{loop};
      auto connecting = loop.create_connection(clients.factory(), "127.0.0.1", silent.port,
                                               {.ssl = TestPki::get().client_context(),
                                                .server_hostname = "localhost",
                                                .ssl_handshake_timeout = 0.2});
      CHECK_THROWS_WITH_AS(rethrow(loop, connecting), "TLS handshake timed out after 0.2 s", SSLError);
      RecordingProtocol& peer = *silent.connections.made.at(0);
      run(loop, peer.lost);
      CHECK(peer.received.starts_with("\x16\x03"));  // it had the ClientHello
      silent.close(loop);
    }
    SUBCASE("our server, a client that never starts") {
      HandlerReports reports(loop);
      TestServer server(loop, {.ssl = TestPki::get().server_context(), .ssl_handshake_timeout = 0.2});
      RecordingFactory plain{loop};
      run(loop, loop.create_connection(plain.factory(), "127.0.0.1", server.port));
      run(loop, plain.made.at(0)->lost);
      reports.wait_for(loop, 1);
      CHECK(message_of(reports.contexts.at(0).exception) == "TLS handshake timed out after 0.2 s");
      server.close(loop);
    }
  });
}

/// `openssl s_server -rev` on a port of its own: it sends back every line
/// reversed. Ready once it has printed "ACCEPT host:port". `version` is
/// "-tls1_3" or "-tls1_2".
struct OpensslServer {
  explicit OpensslServer(const std::string& version)
      : child({kOpenssl, "s_server", "-accept", "127.0.0.1:0", "-cert", TestPki::get().server_certificate(),
               "-key", TestPki::get().server_key(), "-naccept", "1", "-rev", version}) {
    for (std::string line = child.read_line();; line = child.read_line()) {
      if (line.starts_with("ACCEPT ")) {
        port = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        break;
      }
    }
  }
  ChildProcess child;
  std::uint16_t port = 0;
};

TEST_CASE("TLS: openssl s_server as the peer of our client") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string version = "-tls1_3";
    SUBCASE("TLS 1.3") {}
    SUBCASE("TLS 1.2") { version = "-tls1_2"; }
    OpensslServer peer(version);
    RecordingFactory clients{loop};
    auto [transport, protocol] =
        run(loop,
            loop.create_connection(clients.factory(), "127.0.0.1", peer.port,
                                   {.ssl = TestPki::get().client_context(), .server_hostname = "localhost"}));
    SSL* ssl = transport->get_extra_info<SSL*>("ssl_object", nullptr);
    CHECK(std::string(::SSL_get_version(ssl)) == (version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"));
    // 256 KiB in 64-byte lines comes back line by line reversed.
    std::string lines;
    std::string reversed;
    for (std::size_t i = 0; i < (256 << 10) / 64; ++i) {
      std::string line = patterned(63, static_cast<unsigned>(i));
      lines += line + "\n";
      reversed += std::string(line.rbegin(), line.rend()) + "\n";
    }
    transport->write(lines);
    RecordingProtocol& client = *clients.made.at(0);
    run_until(loop, [&] { return client.received.size() >= reversed.size(); });
    CHECK((client.received == reversed));
    transport->close();
    run(loop, client.lost);
    CHECK(peer.child.wait() == 0);  // it saw a clean close (-naccept 1: then it exits)
  });
}

TEST_CASE("TLS: openssl s_client as the peer of our server") {
  for_each_loop([](AbstractEventLoop& loop) {
    TestServer server(loop);
    server.connections.configure = [](RecordingProtocol& connection) {
      connection.on_made = [](RecordingProtocol& self) { self.transport->write("hello from pep3156\n"); };
      connection.on_data = [](RecordingProtocol& self, BytesView) {
        if (self.received != "ping\n") return;
        self.transport->write("pong\n");
        self.transport->close();
      };
    };
    ChildProcess peer({kOpenssl, "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port),
                       "-CAfile", TestPki::get().ca(), "-verify_return_error", "-verify_hostname",
                       "localhost", "-servername", "localhost", "-quiet"});
    pep3156::testing::write_all(peer.stdin_fd(), "ping\n");
    run_until(loop,
              [&] { return !server.connections.made.empty() && server.connections.made[0]->lost.done(); });
    CHECK(peer.read_rest() == "hello from pep3156\npong\n");
    CHECK(peer.wait() == 0);
    server.close(loop);
  });
}

}  // namespace
}  // namespace pep3156::reference::testing
