// An echo server: every byte a client sends comes back to it.
//
//   echo_server [PORT]      listen on 127.0.0.1:PORT (default 0: any free port)
//
// Prints "serving on 127.0.0.1:PORT" once it listens, and serves until
// SIGINT or SIGTERM. Try it with echo_client, or `socat - TCP:127.0.0.1:PORT`.
#include <csignal>
#include <cstdio>
#include <string>

#include "pep3156/pep3156.hpp"
#include "reference/reference.hpp"

using namespace pep3156;

// One EchoProtocol per connection: the server calls the factory for each.
class EchoProtocol : public Protocol {
 public:
  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    // Keep the transport: it is how a protocol talks back.
    transport_ = std::dynamic_pointer_cast<Transport>(transport);
  }

  void data_received(BytesView data) override {
    // write() copies the bytes and never blocks; what the kernel does not
    // take now is buffered and sent when the socket is writable.
    transport_->write(data);
  }

  // A client that sends faster than it reads makes our buffer grow: stop
  // reading until the buffer drains (flow control).
  void pause_writing() override { transport_->pause_reading(); }
  void resume_writing() override { transport_->resume_reading(); }

  // The client has finished sending. Returning false lets the transport
  // close itself -- after the echo still buffered has been sent.
  bool eof_received() override { return false; }

  void connection_lost(std::exception_ptr) override {
    transport_.reset();  // nothing is called after this
  }

 private:
  std::shared_ptr<Transport> transport_;
};

int main(int argc, char** argv) {
  auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 0);
  auto loop = std::make_shared<reference::SelectorEventLoop>();

  // create_server() is a coroutine in the PEP: here a Future we run to.
  auto server = loop->run_until_complete(
      loop->create_server([] { return std::make_shared<EchoProtocol>(); }, "127.0.0.1", port));
  std::printf("serving on %s\n", server->sockets().at(0).address.to_string().c_str());
  std::fflush(stdout);

  loop->add_signal_handler(SIGINT, [&] { loop->stop(); });
  loop->add_signal_handler(SIGTERM, [&] { loop->stop(); });
  loop->run_forever();

  // Stop accepting, then wait until every connection has ended.
  server->close();
  loop->run_until_complete(server->wait_closed());
  loop->close();
  return 0;
}
