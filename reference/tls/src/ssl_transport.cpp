#include "reference/tls/ssl_transport.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <sstream>

#include "pep3156/errors.hpp"

namespace pep3156::reference::tls {

namespace {

/// The largest plaintext one TLS record carries: one SSL_read() never
/// returns more.
constexpr std::size_t kMaximumRecord = 16 * 1024;

bool is_ip_literal(const std::string& host) {
  unsigned char address[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), address) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), address) == 1;
}

/// The reason of the oldest error on OpenSSL's (per-thread) queue, which
/// it then empties. No queued error after a failed read or handshake means
/// the peer closed the connection.
std::string take_openssl_reason() {
  unsigned long code = ::ERR_get_error();
  ::ERR_clear_error();
  if (code == 0) return "the peer closed the connection";
  if (const char* reason = ::ERR_reason_error_string(code)) return reason;
  char text[256];
  ::ERR_error_string_n(code, text, sizeof text);
  return text;
}

[[noreturn]] void throw_setup_error(const std::string& what) {
  throw SSLError("TLS setup failed: " + what + ": " + take_openssl_reason());
}

/// Client side: SNI and the name the certificate must match.
void set_server_hostname(SSL* ssl, const SSLContext& context, const std::string& name) {
  if (name.empty()) return;
  bool ip = is_ip_literal(name);
  // SNI carries host names only, never addresses (RFC 6066, section 3).
  if (!ip && ::SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) throw_setup_error("SNI " + name);
  // LOOP-CONN-SSL-HOSTNAME-CHECK: with verification on, OpenSSL matches
  // the name during the handshake, which then fails on a mismatch.
  if (!context.check_hostname || context.verify_mode() == SSLContext::VerifyMode::none) return;
  X509_VERIFY_PARAM* parameters = ::SSL_get0_param(ssl);
  ::X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int set = ip ? ::X509_VERIFY_PARAM_set1_ip_asc(parameters, name.c_str())
               : ::X509_VERIFY_PARAM_set1_host(parameters, name.c_str(), name.size());
  if (set != 1) throw_setup_error("server_hostname " + name);
}

std::any peer_certificate_pem(SSL* ssl) {
  X509* certificate = ::SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return {};
  std::unique_ptr<BIO, decltype(&::BIO_free)> pem(::BIO_new(BIO_s_mem()), &::BIO_free);
  if (!pem || ::PEM_write_bio_X509(pem.get(), certificate) != 1) {
    ::ERR_clear_error();
    return {};
  }
  char* text = nullptr;
  long size = BIO_get_mem_data(pem.get(), &text);
  return std::string(text, static_cast<std::size_t>(size));
}

}  // namespace

void SSLTransport::FreeSSL::operator()(ssl_st* ssl) const noexcept { ::SSL_free(ssl); }

SSLTransport::SSLTransport(AbstractEventLoop& loop, std::shared_ptr<Protocol> application,
                           std::shared_ptr<SSLContext> context, Role role, double handshake_timeout,
                           FuturePtr handshake_waiter)
    : loop_(loop),
      application_(std::move(application)),
      context_(std::move(context)),
      handshake_waiter_(std::move(handshake_waiter)),
      handshake_timeout_(handshake_timeout),
      server_hostname_(std::move(role.server_hostname)) {
  ::ERR_clear_error();
  ssl_.reset(::SSL_new(context_->native()));
  if (!ssl_) throw_setup_error("SSL_new");
  incoming_ = ::BIO_new(BIO_s_mem());
  outgoing_ = ::BIO_new(BIO_s_mem());
  if (incoming_ == nullptr || outgoing_ == nullptr) {
    ::BIO_free(incoming_);
    ::BIO_free(outgoing_);
    throw_setup_error("BIO_new");
  }
  ::SSL_set_bio(ssl_.get(), incoming_, outgoing_);
  // See the header: no renegotiation; an EOF without close_notify ends the
  // stream like close_notify does (SSL_read() reports SSL_ERROR_ZERO_RETURN).
  ::SSL_set_options(ssl_.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (role.server_side) {
    ::SSL_set_accept_state(ssl_.get());
  } else {
    ::SSL_set_connect_state(ssl_.get());
    set_server_hostname(ssl_.get(), *context_, server_hostname_);
  }
}

SSLTransport::~SSLTransport() = default;

// --- Protocol, for the lower transport ------------------------------------------

void SSLTransport::connection_made(std::shared_ptr<BaseTransport> transport) {
  lower_ = std::dynamic_pointer_cast<Transport>(transport);
  if (!lower_) throw TypeError("SSLTransport: the lower transport is not a stream Transport");
  std::weak_ptr<SSLTransport> weak = weak_from_this();
  if (handshake_waiter_) {
    handshake_waiter_->add_done_callback([weak](const FuturePtr& waiter) {
      if (auto self = weak.lock(); self && waiter->cancelled()) self->abandon_handshake();
    });
  }
  handshake_timer_ = loop_.call_later(handshake_timeout_, [weak] {
    if (auto self = weak.lock()) {
      std::ostringstream what;
      what << "TLS handshake timed out after " << self->handshake_timeout_ << " s";
      self->fail_handshake(std::make_exception_ptr(SSLError(what.str())));
    }
  });
  do_handshake();
}

void SSLTransport::data_received(BytesView data) {
  // After close() or abort() nothing more reaches the application.
  if (state_ != State::handshaking && state_ != State::wrapped) return;
  std::size_t written = 0;
  ::BIO_write_ex(incoming_, data.data(), data.size(), &written);  // a memory BIO takes it all
  if (state_ == State::handshaking) {
    do_handshake();
  } else {
    read_application_data();
  }
}

bool SSLTransport::eof_received() {
  if (state_ == State::handshaking) {
    fail_handshake(std::make_exception_ptr(SSLError("TLS handshake failed: the peer closed the connection")));
  } else if (state_ == State::wrapped) {
    // Once what is already buffered has been read, SSL_read() reports the
    // end of the stream (SSL_OP_IGNORE_UNEXPECTED_EOF).
    BIO_set_mem_eof_return(incoming_, 0);
    read_application_data();
  }
  return true;
}

void SSLTransport::connection_lost(std::exception_ptr exc) {
  if (state_ == State::handshaking) {
    fail_handshake(exc ? exc
                       : std::make_exception_ptr(SSLError("TLS handshake failed: the connection was lost")));
  }
  state_ = State::lost;
  if (application_connected_) {
    application_connected_ = false;
    // PROTO-SEQ-CONNECTION-LOST-ONCE: once, last; then the application's protocol is
    // released, which breaks the transport <-> protocol cycle (D-TR-1).
    std::shared_ptr<Protocol> application = std::move(application_);
    application->connection_lost(error_ ? error_ : exc);
  }
}

void SSLTransport::pause_writing() {
  writing_paused_ = true;
  tell_application_writing_paused();
}

void SSLTransport::resume_writing() {
  writing_paused_ = false;
  // After close() the final resume_writing() is left out
  // (PROTO-FLOW-FINAL-RESUME-OPTIONAL).
  if (state_ == State::wrapped && application_writing_paused_) {
    application_writing_paused_ = false;
    application_->resume_writing();
  }
}

// PROTO-FLOW-PAIRS: the application hears of a pause once, only while
// wrapped, even when the lower transport paused during the handshake.
void SSLTransport::tell_application_writing_paused() {
  if (state_ == State::wrapped && writing_paused_ && !application_writing_paused_) {
    application_writing_paused_ = true;
    application_->pause_writing();
  }
}

// --- The handshake ----------------------------------------------------------------

void SSLTransport::do_handshake() {
  ::ERR_clear_error();
  int result = ::SSL_do_handshake(ssl_.get());
  std::exception_ptr failure;
  if (result != 1 && ::SSL_get_error(ssl_.get(), result) != SSL_ERROR_WANT_READ) {
    failure = ssl_error("TLS handshake failed");
  }
  flush_outgoing();  // the next flight, or the alert that tells the peer why we fail
  if (failure) {
    fail_handshake(failure);
  } else if (result == 1) {
    on_handshake_complete();
  }
}

void SSLTransport::on_handshake_complete() {
  if (handshake_waiter_ && handshake_waiter_->cancelled()) {
    abandon_handshake();  // nobody wants the connection any more
    return;
  }
  handshake_timer_.cancel();
  state_ = State::wrapped;
  application_connected_ = true;
  // The waiter's done-callbacks run later (FUT-CALLBACK-NEVER-IMMEDIATE),
  // so whoever waits still sees connection_made() first (D-NET-1);
  // resolving it first keeps it from hanging if connection_made() throws.
  if (handshake_waiter_) handshake_waiter_->set_result_value(Value());
  application_->connection_made(shared_from_this());
  tell_application_writing_paused();
  read_application_data();  // what arrived with the handshake's last flight
}

void SSLTransport::fail_handshake(std::exception_ptr exc) {
  if (state_ != State::handshaking) return;
  if (handshake_waiter_) {
    if (!handshake_waiter_->done()) handshake_waiter_->set_exception(exc);
  } else {
    ExceptionContext context;
    context.message = "TLS handshake failed";
    context.exception = exc;
    context.transport = lower_;
    context.protocol = application_;
    loop_.call_exception_handler(context);
  }
  abandon_handshake();
}

void SSLTransport::abandon_handshake() {
  if (state_ != State::handshaking) return;
  handshake_timer_.cancel();
  state_ = State::closing;
  application_.reset();  // it never saw the connection
  lower_->abort();
}

// --- Data ---------------------------------------------------------------------------

void SSLTransport::read_application_data() {
  std::array<std::byte, kMaximumRecord> plaintext;
  while (state_ == State::wrapped && !reading_paused_) {
    std::size_t received = 0;
    ::ERR_clear_error();
    if (::SSL_read_ex(ssl_.get(), plaintext.data(), plaintext.size(), &received) == 1) {
      application_->data_received(BytesView(plaintext.data(), received));
      continue;
    }
    int error = ::SSL_get_error(ssl_.get(), 0);
    if (error == SSL_ERROR_WANT_READ) break;
    if (error == SSL_ERROR_ZERO_RETURN) {
      on_peer_closed();
    } else {
      fail(ssl_error("TLS read failed"));
    }
    return;
  }
  flush_outgoing();  // what reading produced (replies to a TLS 1.3 KeyUpdate)
}

void SSLTransport::on_peer_closed() {
  // PROTO-EOF-TLS-IGNORED: "the TLS standard requires that no more data is
  // sent and the connection is closed as soon as a closure alert is
  // received", whatever the protocol returns.
  application_->eof_received();
  if (state_ == State::wrapped) shut_down();
}

void SSLTransport::write(BytesView data) {
  // After close() or abort(), or once the connection is lost, write() does
  // nothing (D-TR-2).
  if (state_ != State::wrapped || data.empty()) return;
  ::ERR_clear_error();
  std::size_t written = 0;
  if (::SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1) {
    fail(ssl_error("TLS write failed"));
    return;
  }
  flush_outgoing();
}

void SSLTransport::flush_outgoing() {
  std::size_t pending = ::BIO_ctrl_pending(outgoing_);
  if (pending == 0) return;
  Bytes ciphertext(pending);
  std::size_t taken = 0;
  ::BIO_read_ex(outgoing_, ciphertext.data(), pending, &taken);
  lower_->write(BytesView(ciphertext.data(), taken));
}

// --- Closing --------------------------------------------------------------------------

void SSLTransport::close() {
  if (state_ == State::wrapped) shut_down();
}

void SSLTransport::shut_down() {
  state_ = State::closing;
  ::ERR_clear_error();
  if (::SSL_shutdown(ssl_.get()) < 0) {
    error_ = ssl_error("TLS shutdown failed");
    lower_->abort();
    return;
  }
  flush_outgoing();  // close_notify
  lower_->close();   // sends what it buffered, then connection_lost() comes
}

void SSLTransport::abort() {
  if (state_ != State::wrapped && state_ != State::closing) return;
  state_ = State::closing;
  lower_->abort();
}

void SSLTransport::fail(std::exception_ptr exc) {
  error_ = exc;
  state_ = State::closing;
  flush_outgoing();  // the alert, if OpenSSL wrote one
  lower_->abort();
}

bool SSLTransport::is_closing() const { return state_ != State::wrapped; }

void SSLTransport::write_eof() {
  throw NotImplementedError("write_eof(): TLS cannot half-close (TR-WRITE-EOF-UNSUPPORTED)");
}

// --- Flow control ------------------------------------------------------------------------

void SSLTransport::pause_reading() {
  if (state_ != State::wrapped || reading_paused_) return;
  reading_paused_ = true;
  lower_->pause_reading();
}

void SSLTransport::resume_reading() {
  if (!reading_paused_) return;
  reading_paused_ = false;
  if (state_ != State::wrapped) return;
  lower_->resume_reading();
  // Plaintext OpenSSL already holds would otherwise wait for more
  // ciphertext; it is delivered from the loop, never from inside
  // resume_reading() (D-TR-5's rule for every protocol method).
  loop_.call_soon([self = shared_from_this()] { self->read_application_data(); });
}

std::size_t SSLTransport::get_write_buffer_size() const {
  return lower_ ? lower_->get_write_buffer_size() : 0;
}

void SSLTransport::set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
  lower_->set_write_buffer_limits(high, low);
}

// --- Extra information --------------------------------------------------------------------

std::any SSLTransport::get_extra_info(std::string_view name) const {
  if (name == "sslcontext") return context_;
  if (name == "ssl_object") return static_cast<SSL*>(ssl_.get());
  if (name == "peercert") return peer_certificate_pem(ssl_.get());
  if (name == "cipher") {
    const SSL_CIPHER* cipher = ::SSL_get_current_cipher(ssl_.get());
    if (cipher == nullptr) return {};
    return std::string(::SSL_CIPHER_get_name(cipher));
  }
  return lower_ ? lower_->get_extra_info(name) : std::any();
}

std::exception_ptr SSLTransport::ssl_error(const std::string& during) const {
  unsigned long code = ::ERR_peek_error();
  std::string reason = take_openssl_reason();
  long verify = ::SSL_get_verify_result(ssl_.get());
  if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
    // As Python: "certificate verify failed: Hostname mismatch, ...".
    reason += ": ";
    reason += ::X509_verify_cert_error_string(verify);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      reason += ", certificate is not valid for '" + server_hostname_ + "'";
    }
  }
  return std::make_exception_ptr(SSLError(during + ": " + reason));
}

}  // namespace pep3156::reference::tls
