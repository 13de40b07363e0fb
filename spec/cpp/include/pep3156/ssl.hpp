// SSLContext: the TLS configuration passed as `ssl=` to create_connection()
// and create_server() (PEP 3156, "Internet connections").
//
// TLS is in the required tier (decision D-NET-5): a conforming loop must
// accept `ssl`. The context is an OpenSSL SSL_CTX (Debian's libssl), so
// every loop, ours or an adapter's, reads one configuration the same way.
// The loop decides how it runs TLS over its transport; this type only
// carries what the caller asked for.
#pragma once

#include <memory>
#include <string>

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace pep3156 {

class SSLContext {
 public:
  /// Which side the context authenticates (Python's ssl.Purpose).
  enum class Purpose {
    server_auth,  // a client context: verifies servers
    client_auth,  // a server context: presents a certificate
  };
  /// Python's ssl.CERT_NONE / CERT_OPTIONAL / CERT_REQUIRED.
  enum class VerifyMode { none, optional, required };

  /// The default the PEP describes for `ssl=True`: certificate verification
  /// against the system's trust store, hostname checking on (client side).
  static std::shared_ptr<SSLContext> create_default_context(Purpose purpose = Purpose::server_auth);

  /// Takes ownership of one reference to `native`.
  SSLContext(ssl_ctx_st* native, Purpose purpose);
  ~SSLContext();
  SSLContext(const SSLContext&) = delete;
  SSLContext& operator=(const SSLContext&) = delete;

  /// Certificate and private key (PEM files). Throws SSLError.
  void load_cert_chain(const std::string& certfile, const std::string& keyfile);
  /// Trusted CA certificates (a PEM file). Throws SSLError.
  void load_verify_locations(const std::string& cafile);
  void set_default_verify_paths();

  VerifyMode verify_mode() const noexcept { return verify_mode_; }
  void set_verify_mode(VerifyMode mode);
  /// Whether the peer's certificate must match server_hostname.
  bool check_hostname = true;

  Purpose purpose() const noexcept { return purpose_; }
  ssl_ctx_st* native() const noexcept { return native_; }

 private:
  ssl_ctx_st* native_;
  Purpose purpose_;
  VerifyMode verify_mode_;
};

}  // namespace pep3156
