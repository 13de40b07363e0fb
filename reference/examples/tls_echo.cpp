// A TLS echo server and its client on one loop. TLS is an option of
// create_server() and create_connection(); the protocols are the ones plain
// TCP would use, because the TLS layer is itself a transport (PEP 3153).
//
//   tls_echo CERT KEY
//
// CERT is a PEM certificate for "localhost" and KEY its private key. The
// server presents it, and the client trusts exactly it, so a self-signed
// one does:
//
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
//       -nodes -days 1 -subj /CN=localhost
//       -addext subjectAltName=DNS:localhost -keyout key.pem -out cert.pem
//
// (one command line; tls_echo_test.sh runs exactly that).
//
// Prints the cipher and what came back; exits with 0 if the echo matched.
#include <cstdio>
#include <string>

#include "pep3156/pep3156.hpp"
#include "reference/reference.hpp"

using namespace pep3156;

// The server's protocol: every byte comes back.
class EchoProtocol : public Protocol {
 public:
  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    // With TLS this comes after the handshake: the connection is already
    // encrypted, and the client's certificate (if it sent one) checked.
    transport_ = std::dynamic_pointer_cast<Transport>(transport);
  }
  void data_received(BytesView data) override { transport_->write(data); }  // plaintext
  void connection_lost(std::exception_ptr) override { transport_.reset(); }

 private:
  std::shared_ptr<Transport> transport_;
};

// The client's protocol: keeps what comes back, and tells when the whole
// message is there and when the connection has ended.
class EchoClient : public Protocol {
 public:
  EchoClient(AbstractEventLoop& loop, std::size_t expected)
      : echoed(loop), closed(loop), expected_(expected) {}

  void data_received(BytesView data) override {
    received += as_text(data);
    if (received.size() == expected_) echoed.set_result();
  }
  void connection_lost(std::exception_ptr) override { closed.set_result(); }

  std::string received;
  Future<void> echoed;
  Future<void> closed;

 private:
  std::size_t expected_;
};

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tls_echo CERT KEY\n");
    return 2;
  }
  const std::string certificate = argv[1];
  const std::string key = argv[2];
  auto loop = std::make_shared<reference::SelectorEventLoop>();

  // The server side: a context that presents the certificate.
  auto server_context = SSLContext::create_default_context(SSLContext::Purpose::client_auth);
  server_context->load_cert_chain(certificate, key);
  auto server = loop->run_until_complete(loop->create_server([] { return std::make_shared<EchoProtocol>(); },
                                                             "127.0.0.1", 0, {.ssl = server_context}));
  std::uint16_t port = server->sockets().at(0).address.port();

  // The client side: the default context verifies the certificate and
  // checks that it names server_hostname; it trusts our certificate instead
  // of the system's store. (`.ssl = true` would use the system's store.)
  auto client_context = SSLContext::create_default_context();
  client_context->load_verify_locations(certificate);
  const std::string message = "Hello over TLS!";
  auto client = std::make_shared<EchoClient>(*loop, message.size());
  auto [transport, protocol] = loop->run_until_complete(
      loop->create_connection([client] { return client; }, "127.0.0.1", port,
                              {.ssl = client_context, .server_hostname = "localhost"}));

  // The Future completed after the handshake and connection_made().
  std::printf("connected to localhost:%u with %s\n", port,
              transport->get_extra_info<std::string>("cipher", "?").c_str());
  transport->write(message);
  loop->run_until_complete(client->echoed);
  std::printf("echoed: %s\n", client->received.c_str());

  // close() sends TLS's close_notify, then closes the TCP connection once
  // everything buffered is sent; connection_lost() follows.
  transport->close();
  loop->run_until_complete(client->closed);
  server->close();
  loop->run_until_complete(server->wait_closed());
  loop->close();
  return client->received == message ? 0 : 1;
}
