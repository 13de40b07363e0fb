// An echo soak: hundreds of connections, hundreds of KiB each way, both
// ends on the loop under test, flow control honoured on both sides. Every
// byte is accounted for with a count and a checksum per connection.
#include "net_testing.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

constexpr int kConnections = 200;
constexpr std::size_t kBytesPerConnection = 200 * 1024;
constexpr std::size_t kChunk = 16 * 1024;

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
  explicit SoakClient(std::uint32_t seed) : state_(seed * 2654435761u + 1) {}

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
    while (!paused_ && sent.bytes < kBytesPerConnection) {
      std::size_t n = std::min(kChunk, kBytesPerConnection - sent.bytes);
      for (std::size_t i = 0; i < n; ++i) {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        chunk[i] = static_cast<std::byte>(state_);
      }
      sent.add(BytesView(chunk, n));
      transport_->write(BytesView(chunk, n));
    }
    if (sent.bytes == kBytesPerConnection && !eof_written_) {
      eof_written_ = true;
      transport_->write_eof();
    }
  }

  std::shared_ptr<Transport> transport_;
  std::uint32_t state_;
  bool paused_ = false;
  bool eof_written_ = false;
};

}  // namespace

TEST_CASE("echo soak: every byte of hundreds of connections comes back, in order") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto finished = std::make_shared<int>(0);
    ProtocolFactory echo = [finished] {
      auto protocol = std::make_shared<EchoProtocol>();
      protocol->finished_ = finished;
      return protocol;
    };
    auto server = run(loop, loop.create_server(echo, "127.0.0.1", 0, {.backlog = 1024}));
    std::uint16_t port = server->sockets().at(0).address.port();

    std::vector<std::shared_ptr<SoakClient>> clients;
    std::vector<Future<StreamConnection>> connecting;
    for (int i = 0; i < kConnections; ++i) {
      auto client = std::make_shared<SoakClient>(static_cast<std::uint32_t>(i));
      clients.push_back(client);
      connecting.push_back(loop.create_connection([client] { return client; }, "127.0.0.1", port));
    }
    run_until(loop,
              [&] { return std::all_of(clients.begin(), clients.end(), [](auto& c) { return c->lost; }); });
    for (auto& c : connecting) CHECK(c.exception() == nullptr);
    server->close();
    run(loop, server->wait_closed());
    CHECK(*finished == kConnections);

    std::size_t total = 0;
    for (auto& client : clients) {
      CHECK(client->lost_error == nullptr);
      CHECK(client->sent.bytes == kBytesPerConnection);
      CHECK(client->received.bytes == client->sent.bytes);
      CHECK(client->received.value == client->sent.value);
      total += client->received.bytes;
    }
    CHECK(total == kConnections * kBytesPerConnection);
  });
}
