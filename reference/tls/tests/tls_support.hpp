// What the TLS tests share: a test PKI made at test time with the openssl
// command (no private key is committed), contexts that use it, and data
// that shows when a piece of it is lost. (The protocol that records and
// checks its calls is the net tests' RecordingProtocol.)
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "net_testing.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/ssl.hpp"

namespace pep3156::reference::testing {

/// Debian's openssl command, never another one first on PATH.
inline constexpr const char* kOpenssl = "/usr/bin/openssl";

/// A CA, a server certificate it signed for localhost, 127.0.0.1 and ::1,
/// and a second CA that signed nothing we use, in a temporary directory
/// made once per process and removed at exit.
class TestPki {
 public:
  static const TestPki& get() {
    static const TestPki pki;
    return pki;
  }

  std::filesystem::path ca() const { return directory_ / "ca.pem"; }
  std::filesystem::path other_ca() const { return directory_ / "other-ca.pem"; }
  std::filesystem::path server_certificate() const { return directory_ / "server.pem"; }
  std::filesystem::path server_key() const { return directory_ / "server.key"; }

  /// A client context as the default one (verification, hostname checks)
  /// that trusts `ca` instead of the system's store.
  static std::shared_ptr<SSLContext> client_context(const std::filesystem::path& ca) {
    auto context = SSLContext::create_default_context();
    context->load_verify_locations(ca);
    return context;
  }
  std::shared_ptr<SSLContext> client_context() const { return client_context(ca()); }

  std::shared_ptr<SSLContext> server_context() const {
    auto context = SSLContext::create_default_context(SSLContext::Purpose::client_auth);
    context->load_cert_chain(server_certificate(), server_key());
    return context;
  }

  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

 private:
  TestPki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pep3156-tls-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    directory_ = pattern;
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2";
    make_ca("ca", key);
    make_ca("other-ca", key);
    openssl("req -x509 -new -CA ca.pem -CAkey ca.key" + key +
            " -keyout server.key -out server.pem -subj /CN=localhost"
            " -addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
            " -addext basicConstraints=critical,CA:FALSE");
  }
  ~TestPki() { std::filesystem::remove_all(directory_); }

  void make_ca(const std::string& name, const std::string& key) {
    openssl("req -x509 -new" + key + " -keyout " + name + ".key -out " + name + ".pem -subj /CN=" + name);
  }
  void openssl(const std::string& arguments) {
    std::string command =
        "cd '" + directory_.string() + "' && " + kOpenssl + " " + arguments + " 2>/dev/null";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);
  }

  std::filesystem::path directory_;
};

/// What the loop's exception handler receives (a TLS server reports its
/// failed handshakes there), and a way to wait for it.
struct HandlerReports {
  explicit HandlerReports(AbstractEventLoop& loop) {
    loop.set_exception_handler(
        [this](AbstractEventLoop&, const ExceptionContext& context) { contexts.push_back(context); });
  }
  void wait_for(AbstractEventLoop& loop, std::size_t count) {
    pep3156::testing::run_until(loop, [&] { return contexts.size() >= count; });
  }
  std::vector<ExceptionContext> contexts;
};

/// `size` bytes of a pattern that does not repeat every power of two, so
/// that a lost, doubled or reordered chunk shows.
inline std::string patterned(std::size_t size, unsigned seed = 1) {
  std::string data(size, '\0');
  unsigned state = seed;
  for (char& c : data) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>('a' + (state >> 16) % 26);
  }
  return data;
}

}  // namespace pep3156::reference::testing
