// An echo server: every byte a client sends comes back to it.
//
//   echo_server [PORT]      listen on 127.0.0.1:PORT (default 0: any free port)
//
// Prints "serving on 127.0.0.1:PORT" once it listens, and serves until
// SIGINT or SIGTERM, then closes every connection (after the echo already
// buffered; a second signal drops that too) and exits with status 0. Try it
// with echo_client, or `socat - TCP:127.0.0.1:PORT`. A bad PORT exits with
// status 2, a port it cannot listen on with status 1, each with a message.
#include <csignal>
#include <cstdio>
#include <exception>
#include <set>
#include <string>

#include "pep3156/pep3156.hpp"
#include "port_argument.hpp"
#include "reference/reference.hpp"

using namespace pep3156;

// The open connections, so that shutting down can close them: the server's
// wait_closed() waits until every connection has ended.
using Connections = std::set<std::shared_ptr<Transport>>;

// One EchoProtocol per connection: the server calls the factory for each.
class EchoProtocol : public Protocol {
 public:
  explicit EchoProtocol(Connections& connections) : connections_(connections) {}

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    // Keep the transport: it is how a protocol talks back.
    transport_ = std::dynamic_pointer_cast<Transport>(transport);
    connections_.insert(transport_);
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
    connections_.erase(transport_);
    transport_.reset();  // nothing is called after this
  }

 private:
  Connections& connections_;
  std::shared_ptr<Transport> transport_;
};

int serve(std::uint16_t port) {
  auto loop = std::make_shared<reference::SelectorEventLoop>();
  Connections connections;

  // create_server() is a coroutine in the PEP: here a Future we run to.
  auto server = loop->run_until_complete(loop->create_server(
      [&connections] { return std::make_shared<EchoProtocol>(connections); }, "127.0.0.1", port));
  std::printf("serving on %s\n", server->sockets().at(0).address.to_string().c_str());
  std::fflush(stdout);

  for (int signal : {SIGINT, SIGTERM}) loop->add_signal_handler(signal, [&] { loop->stop(); });
  loop->run_forever();

  // Stop accepting and close every connection; close() still sends the
  // echo already buffered. A second signal drops that at once (abort()),
  // for a client that does not read.
  server->close();
  for (const auto& transport : Connections(connections)) transport->close();
  for (int signal : {SIGINT, SIGTERM}) {
    loop->add_signal_handler(signal, [&] {
      for (const auto& transport : Connections(connections)) transport->abort();
    });
  }
  loop->run_until_complete(server->wait_closed());
  loop->close();
  return 0;
}

int main(int argc, char** argv) {
  auto port = parse_port(argc > 1 ? argv[1] : "0", 0);
  if (!port) {
    std::fprintf(stderr, "echo_server: PORT must be a number from 0 to 65535, not '%s'\n", argv[1]);
    return 2;
  }
  try {
    return serve(*port);
  } catch (const std::exception& e) {  // e.g. the port is taken
    std::fprintf(stderr, "echo_server: cannot serve on 127.0.0.1:%u: %s\n", *port, e.what());
    return 1;
  }
}
