// create_datagram_endpoint() and the datagram transport (PEP 3156,
// "Internet connections", "Datagram Transports", "Datagram Protocols").
#include <sys/socket.h>

#include "net_testing.hpp"
#include "reference/net/socket_ops.hpp"

using namespace pep3156;
using namespace pep3156::testing;
using reference::net::host_has_ipv6_loopback;

namespace {

/// Records a datagram protocol's calls and checks their order
/// (PROTO-DGRAM-SEQ, TR-DGRAM-CALLS).
class RecordingDatagrams : public DatagramProtocol {
 public:
  explicit RecordingDatagrams(AbstractEventLoop& loop) : lost(loop.create_future<void>()) {}

  void connection_made(std::shared_ptr<BaseTransport> t) override {
    CHECK(transport == nullptr);
    CHECK_FALSE(lost.done());
    transport = std::dynamic_pointer_cast<DatagramTransport>(t);
    REQUIRE(transport != nullptr);
  }
  void datagram_received(BytesView data, const SocketAddress& address) override {
    CHECK(transport != nullptr);
    CHECK_FALSE(lost.done());
    datagrams.emplace_back(to_string(data), address);
  }
  void error_received(std::exception_ptr exc) override {
    CHECK(transport != nullptr);
    CHECK_FALSE(lost.done());
    errors.push_back(exc);
  }
  void connection_lost(std::exception_ptr exc) override {
    CHECK(transport != nullptr);
    CHECK_FALSE(lost.done());
    lost_error = exc;
    lost.set_result();
  }

  std::shared_ptr<DatagramTransport> transport;
  std::vector<std::pair<std::string, SocketAddress>> datagrams;
  std::vector<std::exception_ptr> errors;
  std::exception_ptr lost_error;
  Future<void> lost;
};

struct Endpoint {
  std::shared_ptr<DatagramTransport> transport;
  std::shared_ptr<RecordingDatagrams> protocol;
};

Endpoint endpoint(AbstractEventLoop& loop, DatagramOptions options) {
  auto made =
      run(loop, loop.create_datagram_endpoint([&loop] { return std::make_shared<RecordingDatagrams>(loop); },
                                              std::move(options)));
  return {made.first, std::static_pointer_cast<RecordingDatagrams>(made.second)};
}

SocketAddress sockname(const Endpoint& e) {
  return e.transport->get_extra_info<SocketAddress>("sockname", {});
}

void close_all(AbstractEventLoop& loop, std::initializer_list<Endpoint> endpoints) {
  for (const Endpoint& e : endpoints) e.transport->close();
  for (const Endpoint& e : endpoints) run(loop, e.protocol->lost);
}

}  // namespace

TEST_CASE("a bound endpoint and a connected one exchange datagrams") {
  for_each_loop([](AbstractEventLoop& loop) {
    Endpoint server = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}});  // LOOP-DGRAM-LOCAL-ADDR
    SocketAddress server_address = sockname(server);
    CHECK_FALSE(server.transport->get_extra_info("peername").has_value());
    Endpoint client = endpoint(loop, {.remote_addr = HostPort{"127.0.0.1", server_address.port()}});
    CHECK(client.transport->get_extra_info<SocketAddress>("peername", {}) == server_address);
    CHECK(client.transport->get_extra_info<int>("socket", -1) >= 0);

    client.transport->sendto(as_bytes("one"));  // TR-DGRAM-SENDTO-DEFAULT-ADDR
    client.transport->sendto(as_bytes("two"), server_address);
    client.transport->sendto(BytesView());  // an empty datagram is a datagram
    run_until(loop, [&] { return server.protocol->datagrams.size() == 3; });
    CHECK(server.protocol->datagrams[0] ==
          std::make_pair(std::string("one"), sockname(client)));  // PROTO-DGRAM-RECEIVED
    CHECK(server.protocol->datagrams[1].first == "two");
    CHECK(server.protocol->datagrams[2].first.empty());

    server.transport->sendto(as_bytes("reply"), sockname(client));  // TR-DGRAM-SENDTO
    run_until(loop, [&] { return client.protocol->datagrams.size() == 1; });
    CHECK(client.protocol->datagrams[0] == std::make_pair(std::string("reply"), server_address));
    close_all(loop, {server, client});
    CHECK(server.protocol->lost_error == nullptr);
  });
}

TEST_CASE("sendto(): the address must match a connected endpoint's and is required otherwise") {
  for_each_loop([](AbstractEventLoop& loop) {
    Endpoint server = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}});
    Endpoint client = endpoint(loop, {.remote_addr = HostPort{"127.0.0.1", sockname(server).port()}});
    CHECK_THROWS_AS(client.transport->sendto(as_bytes("x"), SocketAddress("127.0.0.1", 9)), ValueError);
    CHECK_THROWS_AS(server.transport->sendto(as_bytes("x")), ValueError);
    close_all(loop, {server, client});
    client.transport->sendto(as_bytes("ignored once closed"));
  });
}

TEST_CASE("an ICMP refusal on a connected endpoint reaches error_received(); the endpoint stays open") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::uint16_t port;
    {
      Endpoint gone = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}});
      port = sockname(gone).port();
      close_all(loop, {gone});
    }
    Endpoint client = endpoint(loop, {.remote_addr = HostPort{"127.0.0.1", port}});
    client.transport->sendto(as_bytes("anyone?"));
    run_until(loop, [&] { return !client.protocol->errors.empty(); });
    CHECK(error_code(client.protocol->errors[0]) == ECONNREFUSED);  // PROTO-DGRAM-ERROR-RECEIVED
    CHECK_FALSE(client.transport->is_closing());
    CHECK_FALSE(client.protocol->lost.done());

    // The port comes back: the same endpoint works.
    Endpoint server = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", port}});
    client.transport->sendto(as_bytes("there you are"));
    run_until(loop, [&] { return server.protocol->datagrams.size() == 1; });
    close_all(loop, {server, client});
  });
}

TEST_CASE("close() sends what is queued then connection_lost(null); abort() drops it") {
  for_each_loop([](AbstractEventLoop& loop) {
    Endpoint server = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}});
    Endpoint client = endpoint(loop, {.remote_addr = HostPort{"127.0.0.1", sockname(server).port()}});
    for (int i = 0; i < 20; ++i) client.transport->sendto(as_bytes("datagram"));
    client.transport->close();  // TR-DGRAM-CLOSE
    CHECK(client.transport->is_closing());
    CHECK_FALSE(client.protocol->lost.done());
    run(loop, client.protocol->lost);
    CHECK(client.protocol->lost_error == nullptr);
    run_until(loop, [&] { return server.protocol->datagrams.size() == 20; });
    server.transport->abort();  // TR-DGRAM-ABORT
    run(loop, server.protocol->lost);
    CHECK(server.transport->get_write_buffer_size() == 0);
  });
}

TEST_CASE("create_datagram_endpoint(): every local/remote pair of one family is tried") {
  for_each_loop([](AbstractEventLoop& loop) {
    Endpoint server = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}});
    std::uint16_t port = sockname(server).port();
    // No remote host resolves to [::1, 127.0.0.1] where IPv6 exists; only
    // 127.0.0.1 pairs with the IPv4 local address (LOOP-DGRAM-ADDR-COMBINATIONS).
    Endpoint client =
        endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}, .remote_addr = HostPort{"", port}});
    CHECK(client.transport->get_extra_info<SocketAddress>("peername", {}) ==
          SocketAddress("127.0.0.1", port));
    client.transport->sendto(as_bytes("paired"));
    run_until(loop, [&] { return server.protocol->datagrams.size() == 1; });
    if (host_has_ipv6_loopback()) {
      CHECK_THROWS_AS(
          rethrow(loop, loop.create_datagram_endpoint(
                            [&loop] { return std::make_shared<RecordingDatagrams>(loop); },
                            {.local_addr = HostPort{"::1", 0}, .remote_addr = HostPort{"127.0.0.1", port}})),
          ValueError);
    }
    close_all(loop, {server, client});
  });
}

TEST_CASE("create_datagram_endpoint(): family alone, nothing at all, and a failed bind") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto factory = [&loop] { return std::make_shared<RecordingDatagrams>(loop); };
    Endpoint bound = endpoint(loop, {.local_addr = HostPort{"127.0.0.1", 0}});
    Endpoint unbound = endpoint(loop, {.family = AF_INET});  // neither bound nor connected
    CHECK(sockname(unbound).family() == AF_INET);
    CHECK(sockname(unbound).port() == 0);
    unbound.transport->sendto(as_bytes("from nowhere"), sockname(bound));
    run_until(loop, [&] { return bound.protocol->datagrams.size() == 1; });

    CHECK_THROWS_AS(loop.create_datagram_endpoint(factory, {}), ValueError);
    try {
      rethrow(loop, loop.create_datagram_endpoint(
                        factory, {.local_addr = HostPort{"127.0.0.1", sockname(bound).port()}}));
      FAIL("bound a port in use");
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == EADDRINUSE);
    }
    close_all(loop, {bound, unbound});
  });
}
