// SSLTransport over in-memory transports: the TLS layer on its own, with
// both ends ours, records split at arbitrary points, and flow control that
// the tests steer.
#include "reference/tls/ssl_transport.hpp"

#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include "memory_transport.hpp"
#include "net_testing.hpp"
#include "tls_support.hpp"

namespace pep3156::reference::testing {

using pep3156::testing::echo;
using pep3156::testing::for_each_loop;
using pep3156::testing::RecordingProtocol;
using pep3156::testing::run_until;
using tls::SSLTransport;
namespace {

/// A client and a server SSLTransport joined by a MemoryTransport pair.
struct TlsPair {
  TlsPair(AbstractEventLoop& loop, std::shared_ptr<SSLContext> client_context,
          std::string server_hostname = "localhost", std::size_t chunk = 1000)
      : loop_(loop),
        client_app(std::make_shared<RecordingProtocol>(loop)),
        server_app(std::make_shared<RecordingProtocol>(loop)),
        handshake(loop) {
    auto [client_end, server_end] = MemoryTransport::make_pair(loop, chunk);
    client_lower = client_end;
    server_lower = server_end;
    client = std::make_shared<SSLTransport>(loop, client_app, std::move(client_context),
                                            SSLTransport::Role::client(std::move(server_hostname)),
                                            handshake_timeout, handshake.state());
    server = std::make_shared<SSLTransport>(loop, server_app, TestPki::get().server_context(),
                                            SSLTransport::Role::server(), handshake_timeout, nullptr);
    client_lower->attach(client);
    server_lower->attach(server);
  }
  // Each end holds its SSLTransport until connection_lost() and the
  // SSLTransport holds the end: a test that stops the loop before both ends
  // are lost (a failed handshake aborts them, a few callbacks later) would
  // leave that cycle behind. Let them finish.
  ~TlsPair() {
    if (!loop_.is_closed()) run_until(loop_, [this] { return client_lower->lost() && server_lower->lost(); });
  }
  TlsPair(const TlsPair&) = delete;
  TlsPair& operator=(const TlsPair&) = delete;

  static constexpr double handshake_timeout = 60.0;
  AbstractEventLoop& loop_;
  std::shared_ptr<RecordingProtocol> client_app;
  std::shared_ptr<RecordingProtocol> server_app;
  Future<void> handshake;  // the client's waiter
  std::shared_ptr<MemoryTransport> client_lower;
  std::shared_ptr<MemoryTransport> server_lower;
  std::shared_ptr<SSLTransport> client;
  std::shared_ptr<SSLTransport> server;
};

TEST_CASE("TLS in memory: handshake, data both ways, close_notify, connection_lost last") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context());
    echo(*pair.server_app);
    pair.server_app->keep_open_on_eof = true;  // ignored for TLS (PROTO-EOF-TLS-IGNORED)

    loop.run_until_complete(pair.handshake);
    // D-NET-1: the application saw connection_made() before the waiter completed.
    REQUIRE(pair.client_app->made.done());
    CHECK(pair.client_app->transport == pair.client);

    pair.client->write("hello, ");
    BytesView pieces[] = {as_bytes("TLS "), as_bytes("world")};
    pair.client->writelines(pieces);
    pair.client_app->on_data = [](RecordingProtocol& self, BytesView) {
      if (self.received == "hello, TLS world") self.transport->close();
    };
    loop.run_until_complete(pair.server_app->lost);
    loop.run_until_complete(pair.client_app->lost);

    CHECK(pair.client_app->received == "hello, TLS world");
    CHECK(pair.server_app->eof.done());  // the client's close_notify
    CHECK_FALSE(pair.server_app->lost_error);
    CHECK_FALSE(pair.client_app->lost_error);
    CHECK(pair.client->is_closing());
    pair.client->write("ignored after close");  // D-TR-2: nothing happens
  });
}

TEST_CASE("TLS in memory: the transport's extra info and what it cannot do") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto context = TestPki::get().client_context();
    TlsPair pair(loop, context);
    loop.run_until_complete(pair.handshake);

    const SSLTransport& client = *pair.client;
    CHECK(client.get_extra_info<std::shared_ptr<SSLContext>>("sslcontext", nullptr) == context);
    CHECK(client.get_extra_info<SSL*>("ssl_object", nullptr) != nullptr);
    CHECK_FALSE(client.get_extra_info<std::string>("cipher", "").empty());
    CHECK(client.get_extra_info<std::string>("peercert", "").starts_with("-----BEGIN CERTIFICATE-----"));
    // The server asked for no client certificate.
    CHECK_FALSE(pair.server->get_extra_info("peercert").has_value());
    // Other keys are the lower transport's.
    CHECK(client.get_extra_info<std::string>("peername", "") == "memory peer");
    CHECK_FALSE(client.get_extra_info("no such key").has_value());

    CHECK_FALSE(pair.client->can_write_eof());
    CHECK_THROWS_AS(pair.client->write_eof(), NotImplementedError);
    pair.client->abort();
    loop.run_until_complete(pair.client_app->lost);
  });
}

TEST_CASE("TLS in memory: records split into 1-byte chunks still make a connection") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context(), "localhost", /*chunk=*/1);
    echo(*pair.server_app);
    loop.run_until_complete(pair.handshake);
    pair.client->write("split");
    pair.client_app->on_data = [](RecordingProtocol& self, BytesView) {
      if (self.received == "split") self.transport->close();
    };
    loop.run_until_complete(pair.client_app->lost);
    CHECK(pair.client_app->received == "split");
  });
}

TEST_CASE("TLS in memory: a megabyte each way arrives whole, and close() flushes it") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context(), "localhost", /*chunk=*/7000);
    const std::string upload = patterned(1 << 20, 1);
    const std::string download = patterned(1 << 20, 2);
    pair.client_app->on_made = [&](RecordingProtocol& self) { self.transport->write(upload); };
    pair.server_app->on_data = [&](RecordingProtocol& self, BytesView) {
      if (self.received.size() < upload.size()) return;
      self.transport->write(download);
      self.transport->close();  // the client still gets all of it, then EOF
    };
    loop.run_until_complete(pair.client_app->lost);
    loop.run_until_complete(pair.server_app->lost);
    CHECK((pair.server_app->received == upload));
    CHECK((pair.client_app->received == download));
    CHECK(pair.client_app->eof.done());
    CHECK_FALSE(pair.client_app->lost_error);
    CHECK_FALSE(pair.server_app->lost_error);
  });
}

TEST_CASE("TLS in memory: flow control reaches the application") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context());
    const std::string data = patterned(300 * 1024);
    // The ciphertext piles up in the lower transport, whose water marks are
    // the TLS transport's.
    pair.client_app->on_made = [&](RecordingProtocol& self) {
      self.transport->set_write_buffer_limits(32 * 1024);
      self.transport->write(data);
      CHECK(self.writing_paused);  // from inside write() (D-PROTO-2)
      CHECK(self.transport->get_write_buffer_size() > 32 * 1024);
    };
    pair.server_app->on_data = [&](RecordingProtocol& self, BytesView) {
      if (self.received.size() == data.size()) pair.client->close();
    };
    loop.run_until_complete(pair.server_app->lost);
    CHECK((pair.server_app->received == data));
    CHECK(pair.client_app->count("pause") == 1);
    CHECK_FALSE(pair.client_app->writing_paused);  // resumed once drained
    CHECK_THROWS_AS(pair.client->set_write_buffer_limits(10, 20), ValueError);
  });
}

TEST_CASE("TLS in memory: pause_reading() holds back plaintext already decrypted") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context(), "localhost", /*chunk=*/1 << 20);
    // Four records reach the server in one data_received(); its application
    // pauses after each, and resumes from a later callback.
    pair.client_app->on_made = [](RecordingProtocol& self) { self.transport->write(patterned(64 * 1024)); };
    int deliveries_while_paused = 0;
    pair.server_app->on_data = [&](RecordingProtocol& self, BytesView) {
      if (!self.transport->is_closing() && self.received.size() < 64 * 1024) {
        self.transport->pause_reading();
        self.transport->pause_reading();  // D-TR-4: idempotent
        loop.call_soon([&self] { self.transport->resume_reading(); });
        ++deliveries_while_paused;
      } else {
        self.transport->close();
      }
    };
    loop.run_until_complete(pair.server_app->lost);
    CHECK((pair.server_app->received == patterned(64 * 1024)));
    CHECK(deliveries_while_paused == 3);  // one 16 KiB record per resume, no more
  });
}

TEST_CASE("TLS in memory: an unknown CA fails the handshake with SSLError on both sides") {
  for_each_loop([](AbstractEventLoop& loop) {
    HandlerReports errors(loop);
    TlsPair pair(loop, TestPki::client_context(TestPki::get().other_ca()));
    CHECK_THROWS_WITH_AS(
        loop.run_until_complete(pair.handshake),
        "TLS handshake failed: certificate verify failed: unable to get local issuer certificate", SSLError);
    errors.wait_for(loop, 1);
    // Neither application ever heard of the connection.
    CHECK_FALSE(pair.client_app->made.done());
    CHECK_FALSE(pair.server_app->made.done());
    // The server's handshake failed too, and it told the loop.
    REQUIRE(errors.contexts.size() == 1);
    CHECK(errors.contexts.front().message == "TLS handshake failed");
    CHECK_THROWS_AS(std::rethrow_exception(errors.contexts.front().exception), SSLError);
  });
}

TEST_CASE("TLS in memory: a certificate for another name fails the handshake") {
  for_each_loop([](AbstractEventLoop& loop) {
    HandlerReports errors(loop);
    SUBCASE("a host name") {
      TlsPair pair(loop, TestPki::get().client_context(), "example.com");
      CHECK_THROWS_WITH_AS(
          loop.run_until_complete(pair.handshake),
          "TLS handshake failed: certificate verify failed: hostname mismatch, certificate is not "
          "valid for 'example.com'",
          SSLError);
      errors.wait_for(loop, 1);  // the server's side of it
    }
    SUBCASE("an IP address") {
      TlsPair pair(loop, TestPki::get().client_context(), "127.0.0.2");
      CHECK_THROWS_WITH_AS(loop.run_until_complete(pair.handshake),
                           doctest::Contains("IP address mismatch, certificate is not valid for '127.0.0.2'"),
                           SSLError);
      errors.wait_for(loop, 1);
    }
    SUBCASE("but not without hostname checks") {
      auto context = TestPki::get().client_context();
      context->check_hostname = false;
      TlsPair pair(loop, context, "example.com");
      loop.run_until_complete(pair.handshake);
      pair.client->abort();
      loop.run_until_complete(pair.client_app->lost);
    }
  });
}

TEST_CASE("TLS in memory: verify_mode none with no server_hostname checks nothing") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto context = SSLContext::create_default_context();
    context->check_hostname = false;
    context->set_verify_mode(SSLContext::VerifyMode::none);
    TlsPair pair(loop, context, "");
    loop.run_until_complete(pair.handshake);
    CHECK(pair.client_app->made.done());
    pair.client->close();
    loop.run_until_complete(pair.server_app->lost);
  });
}

/// A client SSLTransport whose peer is a plain protocol of the test's.
struct ClientOverPlainPeer {
  ClientOverPlainPeer(AbstractEventLoop& loop, double handshake_timeout)
      : client_app(std::make_shared<RecordingProtocol>(loop)),
        peer(std::make_shared<RecordingProtocol>(loop)),
        handshake(loop) {
    auto [client_end, peer_end] = MemoryTransport::make_pair(loop);
    client_lower = client_end;
    client = std::make_shared<SSLTransport>(loop, client_app, TestPki::get().client_context(),
                                            SSLTransport::Role::client("localhost"), handshake_timeout,
                                            handshake.state());
    client_lower->attach(client);
    peer_end->attach(peer);
  }
  std::shared_ptr<RecordingProtocol> client_app;
  std::shared_ptr<RecordingProtocol> peer;
  Future<void> handshake;
  std::shared_ptr<MemoryTransport> client_lower;
  std::shared_ptr<SSLTransport> client;
};

TEST_CASE("TLS in memory: a peer that never answers is timed out and dropped") {
  for_each_loop([](AbstractEventLoop& loop) {
    ClientOverPlainPeer connection(loop, 0.2);
    double start = loop.time();
    CHECK_THROWS_WITH_AS(loop.run_until_complete(connection.handshake), "TLS handshake timed out after 0.2 s",
                         SSLError);
    // Not before the deadline (D-CB-2): these loops' clocks count nanoseconds.
    CHECK(loop.time() - start >= 0.2 - 1e-9);
    loop.run_until_complete(connection.peer->lost);            // the lower transport was aborted
    CHECK(connection.peer->received.starts_with("\x16\x03"));  // it did get a ClientHello
    CHECK_FALSE(connection.client_app->made.done());
  });
}

TEST_CASE("TLS in memory: a peer that is not TLS, or hangs up, fails the handshake") {
  for_each_loop([](AbstractEventLoop& loop) {
    ClientOverPlainPeer connection(loop, 60.0);
    SUBCASE("garbage") {
      connection.peer->on_made = [](RecordingProtocol& self) {
        self.transport->write("HTTP/1.0 400 Bad Request\r\n\r\n");
      };
      CHECK_THROWS_WITH_AS(loop.run_until_complete(connection.handshake),
                           "TLS handshake failed: wrong version number", SSLError);
    }
    SUBCASE("EOF") {
      connection.peer->on_data = [](RecordingProtocol& self, BytesView) { self.transport->close(); };
      CHECK_THROWS_WITH_AS(loop.run_until_complete(connection.handshake),
                           "TLS handshake failed: the peer closed the connection", SSLError);
    }
    loop.run_until_complete(connection.peer->lost);
    CHECK_FALSE(connection.client_app->made.done());
  });
}

TEST_CASE("TLS in memory: cancelling the waiter abandons the handshake") {
  for_each_loop([](AbstractEventLoop& loop) {
    ClientOverPlainPeer connection(loop, 60.0);
    connection.peer->on_data = [&](RecordingProtocol&, BytesView) { connection.handshake.cancel(); };
    loop.run_until_complete(connection.peer->lost);
    CHECK(connection.handshake.cancelled());
    CHECK_FALSE(connection.client_app->made.done());
  });
}

TEST_CASE("TLS in memory: a record that does not decrypt ends the connection with SSLError") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context());
    loop.run_until_complete(pair.handshake);
    // Past the server's TLS layer, straight onto the wire: a record header
    // and bytes that are no record.
    pair.server_lower->write(std::string("\x17\x03\x03\x00\x20") + std::string(32, 'x'));
    loop.run_until_complete(pair.client_app->lost);
    CHECK_THROWS_WITH_AS(std::rethrow_exception(pair.client_app->lost_error),
                         doctest::Contains("TLS read failed"), SSLError);
    CHECK_FALSE(pair.client_app->eof.done());
    pair.server->abort();
    loop.run_until_complete(pair.server_app->lost);
  });
}

TEST_CASE("TLS in memory: abort() drops the connection at once") {
  for_each_loop([](AbstractEventLoop& loop) {
    TlsPair pair(loop, TestPki::get().client_context());
    loop.run_until_complete(pair.handshake);
    pair.client->write(patterned(100 * 1024));
    pair.client->abort();
    CHECK(pair.client->is_closing());
    CHECK_FALSE(pair.client_app->lost.done());  // D-TR-5: later, from the loop
    loop.run_until_complete(pair.client_app->lost);
    CHECK_FALSE(pair.client_app->lost_error);
    // The server saw the connection end without close_notify: EOF all the same.
    loop.run_until_complete(pair.server_app->lost);
    CHECK(pair.server_app->eof.done());
    CHECK(pair.server_app->received.size() < 100 * 1024);
  });
}

}  // namespace
}  // namespace pep3156::reference::testing
