#include "pep3156/ssl.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pep3156/errors.hpp"

namespace pep3156 {

namespace {
[[noreturn]] void throw_ssl_error(const std::string& what) {
  unsigned long code = ::ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ::ERR_error_string_n(code, text, sizeof text);
  ::ERR_clear_error();
  throw SSLError(what + ": " + text);
}
}  // namespace

std::shared_ptr<SSLContext> SSLContext::create_default_context(Purpose purpose) {
  const SSL_METHOD* method = purpose == Purpose::server_auth ? ::TLS_client_method() : ::TLS_server_method();
  SSL_CTX* native = ::SSL_CTX_new(method);
  if (native == nullptr) throw_ssl_error("SSL_CTX_new");
  auto context = std::make_shared<SSLContext>(native, purpose);
  // The PEP's reference defaults: no obsolete protocols, the system's trust
  // store, certificates required (client side), hostname checking on.
  ::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  if (purpose == Purpose::server_auth) {
    context->set_default_verify_paths();
    context->set_verify_mode(VerifyMode::required);
    context->check_hostname = true;
  } else {
    context->check_hostname = false;
  }
  return context;
}

SSLContext::SSLContext(ssl_ctx_st* native, Purpose purpose)
    : native_(native), purpose_(purpose), verify_mode_(VerifyMode::none) {
  if (native_ == nullptr) throw ValueError("SSLContext: null SSL_CTX");
  ::SSL_CTX_set_verify(native_, SSL_VERIFY_NONE, nullptr);
  check_hostname = false;
}

SSLContext::~SSLContext() { ::SSL_CTX_free(native_); }

void SSLContext::load_cert_chain(const std::string& certfile, const std::string& keyfile) {
  if (::SSL_CTX_use_certificate_chain_file(native_, certfile.c_str()) != 1)
    throw_ssl_error("load_cert_chain(" + certfile + ")");
  if (::SSL_CTX_use_PrivateKey_file(native_, keyfile.c_str(), SSL_FILETYPE_PEM) != 1)
    throw_ssl_error("load_cert_chain(" + keyfile + ")");
  if (::SSL_CTX_check_private_key(native_) != 1)
    throw_ssl_error("load_cert_chain: key does not match certificate");
}

void SSLContext::load_verify_locations(const std::string& cafile) {
  if (::SSL_CTX_load_verify_locations(native_, cafile.c_str(), nullptr) != 1) {
    throw_ssl_error("load_verify_locations(" + cafile + ")");
  }
}

void SSLContext::set_default_verify_paths() {
  if (::SSL_CTX_set_default_verify_paths(native_) != 1) throw_ssl_error("set_default_verify_paths");
}

void SSLContext::set_verify_mode(VerifyMode mode) {
  int flags = SSL_VERIFY_NONE;
  if (mode == VerifyMode::optional) flags = SSL_VERIFY_PEER;
  if (mode == VerifyMode::required) {
    flags = SSL_VERIFY_PEER | (purpose_ == Purpose::client_auth ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  }
  ::SSL_CTX_set_verify(native_, flags, nullptr);
  verify_mode_ = mode;
}

}  // namespace pep3156
