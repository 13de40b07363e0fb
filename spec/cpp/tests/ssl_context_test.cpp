// SSLContext: the contract's TLS configuration, implemented in
// libpep3156_ssl (the one part of the vocabulary that needs OpenSSL).
#include <doctest/doctest.h>

#include "pep3156/errors.hpp"
#include "pep3156/ssl.hpp"

using namespace pep3156;

TEST_CASE("SSLContext: the default client context verifies; a server context does not require peers") {
  auto client = SSLContext::create_default_context();
  CHECK(client->purpose() == SSLContext::Purpose::server_auth);
  CHECK(client->verify_mode() == SSLContext::VerifyMode::required);
  CHECK(client->check_hostname);
  CHECK(client->native() != nullptr);
  auto server = SSLContext::create_default_context(SSLContext::Purpose::client_auth);
  CHECK(server->verify_mode() == SSLContext::VerifyMode::none);
  CHECK_FALSE(server->check_hostname);
  server->set_verify_mode(SSLContext::VerifyMode::optional);
  CHECK(server->verify_mode() == SSLContext::VerifyMode::optional);
}

TEST_CASE("SSLContext: missing files raise SSLError") {
  auto context = SSLContext::create_default_context(SSLContext::Purpose::client_auth);
  CHECK_THROWS_AS(context->load_cert_chain("/nonexistent/cert.pem", "/nonexistent/key.pem"), SSLError);
  CHECK_THROWS_AS(context->load_verify_locations("/nonexistent/ca.pem"), SSLError);
  CHECK_THROWS_AS(SSLContext(nullptr, SSLContext::Purpose::server_auth), ValueError);
}
