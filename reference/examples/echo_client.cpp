// An echo client: sends its arguments to an echo server and prints what
// comes back.
//
//   echo_client PORT TEXT...    connect to 127.0.0.1:PORT
//
// Exits with 0 if the echo is exactly what was sent, 1 if it is not or the
// connection fails (refused, say), 2 on a bad command line; each failure
// with a message.
#include <cstdio>
#include <exception>
#include <string>

#include "pep3156/pep3156.hpp"
#include "port_argument.hpp"
#include "reference/reference.hpp"

using namespace pep3156;

class EchoClient : public Protocol {
 public:
  explicit EchoClient(std::string message) : message_(std::move(message)) {}

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    auto stream = std::dynamic_pointer_cast<Transport>(transport);
    stream->write(message_);
    // Half-close: "that is all I will send". Reading goes on.
    stream->write_eof();
  }

  // The echo may arrive in any number of pieces (no message boundaries).
  void data_received(BytesView data) override { echoed.append(as_text(data)); }

  // The server closed its side: everything has come back. Returning false
  // closes our transport, which calls connection_lost().
  bool eof_received() override { return false; }

  void connection_lost(std::exception_ptr error) override {
    failed = error != nullptr;
    done.set_result();
  }

  std::string echoed;
  bool failed = false;
  Future<void> done;

 private:
  std::string message_;
};

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: echo_client PORT TEXT...\n");
    return 2;
  }
  auto port = parse_port(argv[1], 1);
  if (!port) {
    std::fprintf(stderr, "echo_client: PORT must be a number from 1 to 65535, not '%s'\n", argv[1]);
    return 2;
  }
  std::string message = argv[2];
  for (int i = 3; i < argc; ++i) message += std::string(" ") + argv[i];

  auto loop = std::make_shared<reference::SelectorEventLoop>();
  auto client = std::make_shared<EchoClient>(message);
  client->done = loop->create_future<void>();

  try {
    // The factory may return a protocol made beforehand.
    loop->run_until_complete(loop->create_connection([client] { return client; }, "127.0.0.1", *port));
  } catch (const std::exception& e) {  // e.g. ConnectionRefusedError: nothing listens there
    std::fprintf(stderr, "echo_client: cannot connect to 127.0.0.1:%u: %s\n", *port, e.what());
    loop->close();
    return 1;
  }
  loop->run_until_complete(client->done);
  loop->close();

  std::printf("%s\n", client->echoed.c_str());
  return !client->failed && client->echoed == message ? 0 : 1;
}
