// The IOCP proactor (src/iocp_proactor.cpp) through the Proactor contract,
// over loopback TCP: cross-built with mingw-w64 and run under Wine
// (iocp_proactor_test.sh), which proves the logic against Wine's emulation
// of IOCP, not Windows timings.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "reference/proactor.hpp"

using namespace pep3156::reference;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int as_fd(SOCKET socket) { return static_cast<int>(socket); }

sockaddr_in loopback_address(unsigned short port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

/// A listening socket on 127.0.0.1, an ephemeral port.
struct Listener {
  Listener() {
    sockaddr_in address = loopback_address(0);
    REQUIRE(bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(socket, 64) == 0);
    int length = sizeof address;
    getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~Listener() { closesocket(socket); }

  SOCKET socket = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  unsigned short port = 0;
};

/// Two connected sockets made with blocking calls: `ours` for the
/// proactor, `peer` driven synchronously by the test.
struct Connection {
  Connection() {
    Listener listener;
    sockaddr_in address = loopback_address(listener.port);
    REQUIRE(::connect(ours, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    peer = ::accept(listener.socket, nullptr, nullptr);
    REQUIRE(peer != INVALID_SOCKET);
  }
  ~Connection() {
    closesocket(ours);
    closesocket(peer);
  }

  void peer_sends(const std::string& bytes) const {
    REQUIRE(::send(peer, bytes.data(), static_cast<int>(bytes.size()), 0) == static_cast<int>(bytes.size()));
  }
  std::string peer_receives(std::size_t count) const {
    std::string bytes(count, '\0');
    std::size_t got = 0;
    while (got < count) {
      int n = ::recv(peer, bytes.data() + got, static_cast<int>(count - got), 0);
      REQUIRE(n > 0);
      got += static_cast<std::size_t>(n);
    }
    return bytes;
  }

  SOCKET ours = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  SOCKET peer = INVALID_SOCKET;
};

/// Where a completion's result lands.
struct Outcome {
  std::optional<int> result;
  OnCompletion callback() {
    return [this](int value) { result = value; };
  }
};

/// Calls completions until `done()`; 10 s is only a safety net.
void run_until(Proactor& proactor, const std::function<bool()>& done) {
  auto give_up = Clock::now() + 10s;
  while (!done()) {
    REQUIRE(Clock::now() < give_up);
    for (Completion& completion : proactor.wait(1s)) completion.on_completion(completion.result);
  }
}

int complete(Proactor& proactor, Outcome& outcome) {
  run_until(proactor, [&] { return outcome.result.has_value(); });
  return *outcome.result;
}

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text)); }

}  // namespace

TEST_CASE("iocp is offered, and is the default") {
  CHECK(available_proactors() == std::vector<std::string>{"iocp"});
  CHECK(make_proactor("")->name() == "iocp");
}

TEST_CASE("accept and connect complete over loopback; the peer's address is the client's") {
  auto proactor = make_proactor("iocp");
  Listener listener;
  SOCKET client = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);  // unbound: connect() binds it
  sockaddr_in server = loopback_address(listener.port);
  sockaddr_in peer{};
  socklen_t peer_length = sizeof peer;
  Outcome accepted, connected;
  proactor->accept(as_fd(listener.socket), reinterpret_cast<sockaddr*>(&peer), &peer_length,
                   accepted.callback());
  proactor->connect(as_fd(client), reinterpret_cast<sockaddr*>(&server), sizeof server, connected.callback());
  run_until(*proactor, [&] { return accepted.result && connected.result; });
  CHECK(*connected.result == 0);
  REQUIRE(*accepted.result >= 0);
  sockaddr_in client_address{};
  int length = sizeof client_address;
  getsockname(client, reinterpret_cast<sockaddr*>(&client_address), &length);
  CHECK(peer.sin_port == client_address.sin_port);
  // Usable both ways: the connect and accept contexts were updated.
  SOCKET server_side = static_cast<SOCKET>(*accepted.result);
  CHECK(::send(client, "hi", 2, 0) == 2);
  char received[2];
  CHECK(::recv(server_side, received, 2, 0) > 0);
  closesocket(server_side);
  closesocket(client);
}

TEST_CASE("connecting to a closed port completes with -ECONNREFUSED") {
  auto proactor = make_proactor("iocp");
  unsigned short closed_port;
  {
    Listener gone;
    closed_port = gone.port;
  }
  SOCKET client = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in address = loopback_address(closed_port);
  Outcome connected;
  proactor->connect(as_fd(client), reinterpret_cast<sockaddr*>(&address), sizeof address,
                    connected.callback());
  CHECK(complete(*proactor, connected) == -ECONNREFUSED);
  closesocket(client);
}

TEST_CASE("recv and send transfer partially, and loop to the end with every byte in order") {
  auto proactor = make_proactor("iocp");
  Connection connection;
  connection.peer_sends("0123456789");
  std::vector<std::byte> small(4);
  Outcome first;
  proactor->recv(as_fd(connection.ours), small, first.callback());
  CHECK(complete(*proactor, first) == 4);  // the rest waits for the next recv
  CHECK(std::string(reinterpret_cast<const char*>(small.data()), 4) == "0123");

  std::string big(4 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  std::thread reader([&] { CHECK(connection.peer_receives(big.size()) == big); });
  std::size_t sent = 0;
  while (sent < big.size()) {
    Outcome send;
    proactor->send(as_fd(connection.ours), bytes_of(big).subspan(sent), send.callback());
    int count = complete(*proactor, send);
    REQUIRE(count > 0);
    sent += static_cast<std::size_t>(count);
  }
  reader.join();
}

TEST_CASE("a gathering send sends its buffers in order, empty ones included") {
  auto proactor = make_proactor("iocp");
  Connection connection;
  std::string first = "gather", empty, last = "ed!";
  std::span<const std::byte> buffers[] = {bytes_of(first), bytes_of(empty), bytes_of(last)};
  Outcome sent;
  proactor->send_gathered(as_fd(connection.ours), buffers, sent.callback());
  CHECK(complete(*proactor, sent) == 9);
  CHECK(connection.peer_receives(9) == "gathered!");
}

TEST_CASE("end of stream is a 0-byte completion; a readable poll sees it") {
  auto proactor = make_proactor("iocp");
  Connection connection;
  Outcome polled, received;
  proactor->poll(as_fd(connection.ours), Events::readable, polled.callback());
  shutdown(connection.peer, SD_SEND);
  CHECK(complete(*proactor, polled) == static_cast<int>(Events::readable));
  std::vector<std::byte> buffer(16);
  proactor->recv(as_fd(connection.ours), buffer, received.callback());
  CHECK(complete(*proactor, received) == 0);
}

TEST_CASE("a writable poll completes at once") {
  auto proactor = make_proactor("iocp");
  Connection connection;
  Outcome polled;
  proactor->poll(as_fd(connection.ours), Events::readable | Events::writable, polled.callback());
  std::span<Completion> completions = proactor->wait(0ns);
  REQUIRE(completions.size() == 1);
  completions[0].on_completion(completions[0].result);
  CHECK(polled.result == static_cast<int>(Events::writable));
}

TEST_CASE("a cancelled recv completes with -ECANCELED and the bytes sent after stay in the socket") {
  auto proactor = make_proactor("iocp");
  Connection connection;
  std::vector<std::byte> buffer(16);
  Outcome cancelled;
  OperationId id = proactor->recv(as_fd(connection.ours), buffer, cancelled.callback());
  proactor->cancel(id);
  CHECK(complete(*proactor, cancelled) == -ECANCELED);
  proactor->cancel(id);  // completed: ignored
  connection.peer_sends("kept");
  Outcome received;
  proactor->recv(as_fd(connection.ours), buffer, received.callback());
  CHECK(complete(*proactor, received) == 4);
  CHECK(std::string(reinterpret_cast<const char*>(buffer.data()), 4) == "kept");
}

TEST_CASE("a recv on a closed socket completes with -EBADF") {
  auto proactor = make_proactor("iocp");
  SOCKET closed = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  closesocket(closed);
  std::vector<std::byte> buffer(16);
  Outcome received;
  proactor->recv(as_fd(closed), buffer, received.callback());
  CHECK(complete(*proactor, received) == -EBADF);
}

TEST_CASE("wake_up() from another thread ends a wait without limit") {
  auto proactor = make_proactor("iocp");
  std::thread waker([&] { proactor->wake_up(); });
  auto start = Clock::now();
  CHECK(proactor->wait(30s).empty());  // 30 s: only a safety net
  CHECK(Clock::now() - start < 30s);
  waker.join();
}

TEST_CASE("a wait never ends before its timeout") {
  auto proactor = make_proactor("iocp");
  for (auto timeout : {std::chrono::nanoseconds(200us), std::chrono::nanoseconds(1500us),
                       std::chrono::nanoseconds(10ms + 300us), std::chrono::nanoseconds(31ms)}) {
    auto start = Clock::now();
    CHECK(proactor->wait(timeout).empty());
    CHECK(Clock::now() - start >= timeout);  // not before; how much later is the machine's business
  }
}

TEST_CASE("one wait returns many completions, and every recv gets its own bytes") {
  auto proactor = make_proactor("iocp");
  constexpr int kConnections = 80;  // more than one GetQueuedCompletionStatusEx batch
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<std::vector<std::byte>> buffers(kConnections, std::vector<std::byte>(8));
  std::vector<Outcome> outcomes(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(std::make_unique<Connection>());
    proactor->recv(as_fd(connections[i]->ours), buffers[i], outcomes[i].callback());
  }
  for (int i = 0; i < kConnections; ++i) connections[i]->peer_sends(std::to_string(i));
  std::size_t largest_batch = 0;
  run_until(*proactor, [&] {
    return std::all_of(outcomes.begin(), outcomes.end(),
                       [](const Outcome& o) { return o.result.has_value(); });
  });
  for (int i = 0; i < kConnections; ++i) {
    std::string expected = std::to_string(i);
    REQUIRE(*outcomes[i].result == static_cast<int>(expected.size()));
    CHECK(std::string(reinterpret_cast<const char*>(buffers[i].data()), expected.size()) == expected);
  }
  // Recvs that find their bytes already there finish at once (no packet):
  // all of them come back from one wait.
  for (int i = 0; i < kConnections; ++i) {
    connections[i]->peer_sends("x");
    outcomes[i].result.reset();
  }
  for (int i = 0; i < kConnections; ++i) {
    proactor->poll(as_fd(connections[i]->ours), Events::readable, outcomes[i].callback());
  }
  run_until(*proactor, [&] {
    std::size_t batch = 0;
    for (Completion& completion : proactor->wait(1s)) {
      completion.on_completion(completion.result);
      ++batch;
    }
    largest_batch = std::max(largest_batch, batch);
    return std::all_of(outcomes.begin(), outcomes.end(),
                       [](const Outcome& o) { return o.result.has_value(); });
  });
  CHECK(largest_batch > 1);
}

int main(int argc, char** argv) {
  _setmode(_fileno(stdout), _O_BINARY);  // "\n", not "\r\n", for whoever reads the results
  WSADATA data;
  WSAStartup(MAKEWORD(2, 2), &data);
  doctest::Context context(argc, argv);
  int failed = context.run();
  WSACleanup();
  return failed;
}
