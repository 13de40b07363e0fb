// The contract's SSLContext read back from its SSL_CTX and rebuilt as a
// Python ssl.SSLContext (bridge_module.cpp, ssl_context()): the SSLContext
// keeps no file names, only what OpenSSL loaded, so certificates and the
// key cross as PEM text.
#include "python_ssl.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "bridge_module.hpp"
#include "exceptions.hpp"
#include "pep3156/errors.hpp"

namespace loopcert_python {

namespace {

using MemoryBio = std::unique_ptr<BIO, decltype(&::BIO_free)>;

MemoryBio memory_bio() {
  MemoryBio bio(::BIO_new(::BIO_s_mem()), &::BIO_free);
  if (!bio) throw pep3156::SSLError("BIO_new: out of memory");
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = ::BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void write_certificate(BIO* bio, X509* certificate) {
  if (::PEM_write_bio_X509(bio, certificate) != 1) throw pep3156::SSLError("PEM_write_bio_X509 failed");
}

/// The trusted certificates the context loaded (load_verify_locations()),
/// as PEM: Python's load_verify_locations(cadata=).
std::string trusted_certificates(SSL_CTX* native) {
  MemoryBio bio = memory_bio();
  STACK_OF(X509_OBJECT)* objects = ::X509_STORE_get0_objects(::SSL_CTX_get_cert_store(native));
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* certificate = ::X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    if (certificate != nullptr) write_certificate(bio.get(), certificate);
  }
  return bio_text(bio.get());
}

/// The certificate, its chain and the private key (load_cert_chain()) as
/// one PEM text, or "" when none was loaded.
std::string certificate_chain_and_key(SSL_CTX* native) {
  X509* certificate = ::SSL_CTX_get0_certificate(native);
  EVP_PKEY* key = ::SSL_CTX_get0_privatekey(native);
  if (certificate == nullptr || key == nullptr) return {};
  MemoryBio bio = memory_bio();
  write_certificate(bio.get(), certificate);
  STACK_OF(X509)* chain = nullptr;
  ::SSL_CTX_get0_chain_certs(native, &chain);
  for (int i = 0; i < sk_X509_num(chain); ++i) write_certificate(bio.get(), sk_X509_value(chain, i));
  if (::PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw pep3156::SSLError("PEM_write_bio_PrivateKey failed");
  }
  return bio_text(bio.get());
}

}  // namespace

PyRef python_ssl_argument(const pep3156::SslOption& ssl) {
  // ssl=True: "a default context" (PEP 3156, create_connection), the
  // Python loop's own.
  if (std::holds_alternative<bool>(ssl)) return PyRef::borrow(Py_True);
  const pep3156::SSLContext& context = *std::get<std::shared_ptr<pep3156::SSLContext>>(ssl);
  SSL_CTX* native = context.native();
  const bool server_side = context.purpose() == pep3156::SSLContext::Purpose::client_auth;
  const std::string cadata = trusted_certificates(native);
  const std::string chain = certificate_chain_and_key(native);
  PyRef ssl_context = check(bridge_attribute("ssl_context").release());
  // PEM text holds no NUL, so it crosses as a C string.
  // VerifyMode's order is ssl.CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED (0, 1, 2).
  return check(PyObject_CallFunction(
      ssl_context.get(), "iiiiiss", server_side ? 1 : 0, static_cast<int>(context.verify_mode()),
      context.check_hostname ? 1 : 0, static_cast<int>(::SSL_CTX_get_min_proto_version(native)),
      static_cast<int>(::SSL_CTX_get_max_proto_version(native)), cadata.c_str(), chain.c_str()));
}

}  // namespace loopcert_python
