// An echo soak, both ends on the loop under test, flow control honoured on
// both sides. Every byte is accounted for with a count and a checksum per
// connection. Two sizes: hundreds of connections on every poller, and
// thousands of connections of a megabyte each where the poller can hold
// them (select() cannot watch descriptors past FD_SETSIZE).
#include "net_testing.hpp"
#include "reference/selector_event_loop.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

constexpr std::size_t kChunk = 16 * 1024;

// Under a sanitizer (5 to 15 times slower) the large soak runs one wave of
// smaller connections: the sanitizer checks the code paths, the full size
// the volume.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kLargeSoakWaves = 1;
constexpr std::size_t kLargeSoakBytes = 128 * 1024;
#else
constexpr int kLargeSoakWaves = 4;
constexpr std::size_t kLargeSoakBytes = 1024 * 1024;
#endif

/// FNV-1a over a stream, chunk by chunk.
struct Checksum {
  std::uint64_t value = 1469598103934665603ull;
  std::size_t bytes = 0;
  void add(BytesView data) {
    for (std::byte b : data) value = (value ^ std::to_integer<std::uint64_t>(b)) * 1099511628211ull;
    bytes += data.size();
  }
};

/// The server side: echoes, and stops reading while its own writing is
/// paused, so a fast client cannot make it buffer without bound.
class EchoProtocol : public Protocol {
 public:
  void connection_made(std::shared_ptr<BaseTransport> t) override {
    transport_ = std::dynamic_pointer_cast<Transport>(t);
  }
  void data_received(BytesView data) override { transport_->write(data); }
  void pause_writing() override { transport_->pause_reading(); }
  void resume_writing() override { transport_->resume_reading(); }
  // false: the transport flushes the echo and closes itself.
  bool eof_received() override { return false; }
  void connection_lost(std::exception_ptr exc) override {
    CHECK(exc == nullptr);
    transport_.reset();
    ++*finished_;
  }

  std::shared_ptr<int> finished_ = std::make_shared<int>(0);

 private:
  std::shared_ptr<Transport> transport_;
};

/// The client side: writes a pseudo-random payload while not paused,
/// then write_eof(); checks the echo as it arrives.
class SoakClient : public Protocol {
 public:
  SoakClient(std::uint32_t seed, std::size_t bytes) : bytes_(bytes), state_(seed * 2654435761u + 1) {}

  void connection_made(std::shared_ptr<BaseTransport> t) override {
    transport_ = std::dynamic_pointer_cast<Transport>(t);
    produce();
  }
  void pause_writing() override { paused_ = true; }
  void resume_writing() override {
    paused_ = false;
    produce();
  }
  void data_received(BytesView data) override { received.add(data); }
  bool eof_received() override { return false; }
  void connection_lost(std::exception_ptr exc) override {
    lost_error = exc;
    lost = true;
    transport_.reset();
  }

  Checksum sent;
  Checksum received;
  bool lost = false;
  std::exception_ptr lost_error;

 private:
  void produce() {
    std::byte chunk[kChunk];
    while (!paused_ && sent.bytes < bytes_) {
      std::size_t n = std::min(kChunk, bytes_ - sent.bytes);
      for (std::size_t i = 0; i < n; ++i) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        chunk[i] = static_cast<std::byte>(state_);
      }
      sent.add(BytesView(chunk, n));
      transport_->write(BytesView(chunk, n));
    }
    if (sent.bytes == bytes_ && !eof_written_) {
      eof_written_ = true;
      transport_->write_eof();
    }
  }

  std::shared_ptr<Transport> transport_;
  std::size_t bytes_;
  std::uint32_t state_;
  bool paused_ = false;
  bool eof_written_ = false;
};

/// `waves` times, `connections` clients at once, each sending `bytes` and
/// checking the echo, against one echo server.
void soak(AbstractEventLoop& loop, int waves, int connections, std::size_t bytes) {
  auto finished = std::make_shared<int>(0);
  ProtocolFactory echo = [finished] {
    auto protocol = std::make_shared<EchoProtocol>();
    protocol->finished_ = finished;
    return protocol;
  };
  auto server = run(loop, loop.create_server(echo, "127.0.0.1", 0, {.backlog = connections}));
  std::uint16_t port = server->sockets().at(0).address.port();

  std::size_t total = 0;
  int echoed_intact = 0;  // connections whose echo matched in count and checksum
  for (int wave = 0; wave < waves; ++wave) {
    std::vector<std::shared_ptr<SoakClient>> clients;
    std::vector<Future<StreamConnection>> connecting;
    for (int i = 0; i < connections; ++i) {
      auto client = std::make_shared<SoakClient>(static_cast<std::uint32_t>(wave * connections + i), bytes);
      clients.push_back(client);
      connecting.push_back(loop.create_connection([client] { return client; }, "127.0.0.1", port));
    }
    run_until(loop,
              [&] { return std::all_of(clients.begin(), clients.end(), [](auto& c) { return c->lost; }); });
    for (auto& c : connecting) CHECK(c.exception() == nullptr);
    for (auto& client : clients) {
      CHECK(client->lost_error == nullptr);
      CHECK(client->sent.bytes == bytes);
      CHECK(client->received.bytes == client->sent.bytes);
      CHECK(client->received.value == client->sent.value);
      total += client->received.bytes;
      if (client->received.bytes == bytes && client->received.value == client->sent.value) ++echoed_intact;
    }
  }
  server->close();
  run(loop, server->wait_closed());
  CHECK(*finished == waves * connections);
  CHECK(total == static_cast<std::size_t>(waves) * connections * bytes);
  // The line `make faults` (tools/faults.sh) quotes as the soak's result.
  MESSAGE("checksums: " << echoed_intact << " of " << waves * connections << " connections echoed intact, "
                        << total << " bytes back");
}

}  // namespace

TEST_CASE("echo soak: every byte of hundreds of connections comes back, in order") {
  for_each_loop([](AbstractEventLoop& loop) { soak(loop, 1, 200, 200 * 1024); });
}

TEST_CASE("echo soak: thousands of connections, a megabyte each, every byte back") {
  // 4 waves of 600 at once: 2,400 connections, 2.3 GiB through the loop
  // and back (less under a sanitizer). A wave holds 1,200 descriptors, past select()'s FD_SETSIZE.
  for_each_loop([](AbstractEventLoop& loop) {
    if (dynamic_cast<reference::SelectorEventLoop&>(loop).poller_name() == "select") return;
    soak(loop, kLargeSoakWaves, 600, kLargeSoakBytes);
  });
}
