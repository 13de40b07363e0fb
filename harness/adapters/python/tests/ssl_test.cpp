// The contract's SSLContext rebuilt as a Python ssl.SSLContext
// (python_ssl.cpp): its settings carried over, and the certificate, key
// and trusted certificates good enough for a real handshake in Python.
#include "pep3156/ssl.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "exceptions.hpp"
#include "interpreter.hpp"
#include "pep3156/errors.hpp"
#include "python_ssl.hpp"

namespace loopcert_python {
namespace {

using pep3156::SSLContext;

/// Runs Python `statement` where `client` and `server` are bound; rethrows
/// what it raised, mapped to C++.
void run_python(const char* statement, PyObject* client, PyObject* server = Py_None) {
  PyRef globals = check(PyDict_New());
  PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins());
  PyDict_SetItemString(globals.get(), "client", client);
  PyDict_SetItemString(globals.get(), "server", server);
  check(PyRun_String(statement, Py_file_input, globals.get(), globals.get()));
}

/// A self-signed certificate for DNS:localhost and its key, as PEM files
/// in a temporary directory (removed by the destructor).
class SelfSignedCertificate {
 public:
  SelfSignedCertificate() {
    std::string pattern = (std::filesystem::temp_directory_path() / "python-ssl-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    directory_ = pattern;
    std::unique_ptr<EVP_PKEY, decltype(&::EVP_PKEY_free)> key(::EVP_EC_gen("P-256"), &::EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&::X509_free)> certificate(::X509_new(), &::X509_free);
    REQUIRE((key && certificate));
    ::X509_set_version(certificate.get(), 2);
    ::ASN1_INTEGER_set(::X509_get_serialNumber(certificate.get()), 1);
    ::X509_gmtime_adj(::X509_getm_notBefore(certificate.get()), 0);
    ::X509_gmtime_adj(::X509_getm_notAfter(certificate.get()), 3600);
    ::X509_set_pubkey(certificate.get(), key.get());
    X509_NAME* name = ::X509_get_subject_name(certificate.get());
    ::X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    ::X509_set_issuer_name(certificate.get(), name);
    X509_EXTENSION* alt_name = ::X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, "DNS:localhost");
    REQUIRE(alt_name != nullptr);
    ::X509_add_ext(certificate.get(), alt_name, -1);
    ::X509_EXTENSION_free(alt_name);
    REQUIRE(::X509_sign(certificate.get(), key.get(), ::EVP_sha256()) > 0);
    write_pem(certificate_file(), [&](FILE* file) { return ::PEM_write_X509(file, certificate.get()); });
    write_pem(key_file(), [&](FILE* file) {
      return ::PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
  }
  ~SelfSignedCertificate() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  SelfSignedCertificate(const SelfSignedCertificate&) = delete;
  SelfSignedCertificate& operator=(const SelfSignedCertificate&) = delete;

  std::string certificate_file() const { return (directory_ / "cert.pem").string(); }
  std::string key_file() const { return (directory_ / "key.pem").string(); }

 private:
  template <typename Write>
  static void write_pem(const std::string& path, Write write) {
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "w"), &std::fclose);
    REQUIRE(file != nullptr);
    REQUIRE(write(file.get()) == 1);
  }

  std::filesystem::path directory_;
};

TEST_CASE("a client context's verify mode, hostname check and protocol bounds carry over") {
  ensure_interpreter();
  auto context = SSLContext::create_default_context();
  context->check_hostname = false;
  context->set_verify_mode(SSLContext::VerifyMode::optional);
  ::SSL_CTX_set_max_proto_version(context->native(), TLS1_2_VERSION);
  Gil gil;
  PyRef python_context = python_ssl_argument(context);
  CHECK_NOTHROW(
      run_python("import ssl\n"
                 "assert client.protocol == ssl.PROTOCOL_TLS_CLIENT, client.protocol\n"
                 "assert client.verify_mode == ssl.CERT_OPTIONAL, client.verify_mode\n"
                 "assert not client.check_hostname\n"
                 "assert client.minimum_version == ssl.TLSVersion.TLSv1_2, client.minimum_version\n"
                 "assert client.maximum_version == ssl.TLSVersion.TLSv1_2, client.maximum_version\n",
                 python_context.get()));
}

TEST_CASE("verification off stays off though check_hostname is set") {
  // OpenSSL ignores a hostname mismatch under SSL_VERIFY_NONE; Python would
  // raise verify_mode to CERT_REQUIRED to check the hostname.
  ensure_interpreter();
  auto context = SSLContext::create_default_context();
  context->set_verify_mode(SSLContext::VerifyMode::none);
  context->check_hostname = true;
  Gil gil;
  PyRef python_context = python_ssl_argument(context);
  CHECK_NOTHROW(
      run_python("import ssl\n"
                 "assert client.verify_mode == ssl.CERT_NONE, client.verify_mode\n"
                 "assert not client.check_hostname\n",
                 python_context.get()));
}

TEST_CASE("ssl=True stays the Python loop's own default context") {
  ensure_interpreter();
  Gil gil;
  CHECK(python_ssl_argument(true).get() == Py_True);
}

/// A TLS handshake between the two Python contexts over memory BIOs.
constexpr const char* kHandshake =
    "import ssl\n"
    "client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))\n"
    "ends = {'client': client.wrap_bio(client_in, client_out, server_hostname='localhost'),\n"
    "        'server': server.wrap_bio(server_in, server_out, server_side=True)}\n"
    "done = set()\n"
    "for _ in range(10):\n"
    "    for name, end in ends.items():\n"
    "        try:\n"
    "            end.do_handshake()\n"
    "            done.add(name)\n"
    "        except ssl.SSLWantReadError:\n"
    "            pass\n"
    "    server_in.write(client_out.read())\n"
    "    client_in.write(server_out.read())\n"
    "assert done == {'client', 'server'}, done\n";

TEST_CASE("the server's certificate and key, and the client's trusted certificate, make a handshake") {
  ensure_interpreter();
  SelfSignedCertificate certificate;
  auto server = SSLContext::create_default_context(SSLContext::Purpose::client_auth);
  server->load_cert_chain(certificate.certificate_file(), certificate.key_file());
  auto client = SSLContext::create_default_context();
  client->load_verify_locations(certificate.certificate_file());
  auto stranger = SSLContext::create_default_context();  // trusts only the system's store
  Gil gil;
  PyRef python_server = python_ssl_argument(server);
  CHECK_NOTHROW(run_python(kHandshake, python_ssl_argument(client).get(), python_server.get()));
  CHECK_THROWS_AS(run_python(kHandshake, python_ssl_argument(stranger).get(), python_server.get()),
                  pep3156::SSLError);
}

}  // namespace
}  // namespace loopcert_python
