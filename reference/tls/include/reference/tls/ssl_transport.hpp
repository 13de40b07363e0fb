// SSLTransport: TLS as a protocol that is itself a transport.
//
// PEP 3153: "This also allows for protocols to be stacked or nested
// easily" -- "a stack of protocols and transports". TLS needs no socket of
// its own. To the transport beneath it (TCP, a UNIX socket, or any
// pep3156::Transport at all, which is how the tests drive it in memory)
// an SSLTransport is the Protocol: it receives ciphertext in
// data_received() and writes ciphertext with write(). To the application's
// protocol above it, it is the Transport: write() takes plaintext, and
// data_received() delivers plaintext. OpenSSL never touches a descriptor:
// it reads from one memory BIO (fed by data_received()) and writes to
// another (drained into the lower transport's write()). asyncio's
// sslproto.py is the model (SSLProtocol and _SSLProtocolTransport, here
// one object).
//
// The life of a connection:
//
//   handshaking   the lower transport is connected; the handshake runs
//                 under a timer (handshake_timeout). The application's
//                 protocol has seen nothing yet.
//   wrapped       the handshake succeeded and the certificate checked out:
//                 connection_made() went to the application (before the
//                 create_connection Future completes, decision D-NET-1) and
//                 data flows both ways.
//   closing       close() sent close_notify and closed the lower transport
//                 (which flushes first), or abort() or a TLS error aborted
//                 it; we wait for its connection_lost().
//   lost          the lower transport is gone; the application's
//                 connection_lost() has been called (if it ever saw
//                 connection_made()).
//
// A failed handshake (an error, a bad certificate, a peer that closes or
// stalls past the timeout) aborts the lower transport and never reaches the
// application's protocol: the client's handshake waiter (the
// create_connection Future) fails with pep3156::SSLError, a server reports
// the error to the loop's exception handler.
//
// Choices:
//   - The peer's close_notify, or a plain EOF of the lower transport
//     without it (as Python's suppress_ragged_eofs), is the application's
//     eof_received(); its return value is ignored and the connection
//     closes (PROTO-EOF-TLS-IGNORED).
//   - close() sends close_notify and closes the lower transport without
//     waiting for the peer's: TLS allows the initiator not to wait, and
//     nothing can then hold the connection open (asyncio waits, up to a
//     shutdown timeout).
//   - No renegotiation (SSL_OP_NO_RENEGOTIATION; TLS 1.3 has none, Python
//     allows it): a write is then always encrypted at once, so no
//     plaintext is ever buffered here, and the write buffer and its water
//     marks are the lower transport's (get_write_buffer_size(),
//     set_write_buffer_limits() and pause_writing()/resume_writing() count
//     ciphertext).
//   - write_eof() raises NotImplementedError: TLS cannot half-close
//     (TR-WRITE-EOF-UNSUPPORTED, decision D-NET-5).
#pragma once

#include <memory>
#include <string>

#include "pep3156/event_loop.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/ssl.hpp"
#include "pep3156/transports.hpp"

struct ssl_st;  // OpenSSL's SSL
struct bio_st;  // OpenSSL's BIO

namespace pep3156::reference::tls {

class SSLTransport final : public Transport,
                           public Protocol,
                           public std::enable_shared_from_this<SSLTransport> {
 public:
  /// Which end of the handshake this is.
  struct Role {
    bool server_side = false;
    /// Client only: the name sent as SNI and, when the context checks
    /// hostnames and verifies certificates, the name the certificate must
    /// match (an IP literal matches the certificate's IP addresses). Empty:
    /// neither.
    std::string server_hostname;

    static Role client(std::string server_hostname) { return {false, std::move(server_hostname)}; }
    static Role server() { return {true, {}}; }
  };

  /// The TLS layer for one connection, made with make_shared; attach it to
  /// the lower transport by making it that transport's protocol.
  /// `handshake_waiter` (a pending Future<void> or null) gets the
  /// handshake's outcome, after the application's connection_made();
  /// cancelling it abandons the handshake. Without a waiter a failed
  /// handshake goes to the loop's exception handler. Throws SSLError if
  /// OpenSSL cannot set up the connection.
  SSLTransport(AbstractEventLoop& loop, std::shared_ptr<Protocol> application,
               std::shared_ptr<SSLContext> context, Role role, double handshake_timeout,
               FuturePtr handshake_waiter);
  ~SSLTransport() override;

  // --- Transport, for the application's protocol -----------------------------

  /// "sslcontext", "peercert" (PEM text; empty if the peer sent none),
  /// "cipher", "ssl_object" (SSL*); any other key is the lower transport's
  /// ("peername", "sockname", "socket", ...).
  std::any get_extra_info(std::string_view name) const override;
  using BaseTransport::get_extra_info;
  void close() override;
  bool is_closing() const override;
  void pause_reading() override;
  void resume_reading() override;
  using WriteTransport::write;
  void write(BytesView data) override;
  void write_eof() override;
  bool can_write_eof() const override { return false; }
  std::size_t get_write_buffer_size() const override;
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt) override;
  void abort() override;

  // --- Protocol, for the lower transport ---------------------------------------

  void connection_made(std::shared_ptr<BaseTransport> transport) override;
  void data_received(BytesView data) override;
  /// Always true: this layer decides when the lower transport closes.
  bool eof_received() override;
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override;
  void resume_writing() override;

 private:
  enum class State { handshaking, wrapped, closing, lost };
  struct FreeSSL {
    void operator()(ssl_st* ssl) const noexcept;
  };

  void do_handshake();
  void on_handshake_complete();
  void fail_handshake(std::exception_ptr exc);
  void abandon_handshake();
  void read_application_data();
  void on_peer_closed();
  void shut_down();
  void fail(std::exception_ptr exc);
  void flush_outgoing();
  void tell_application_writing_paused();
  std::exception_ptr ssl_error(const std::string& during) const;

  AbstractEventLoop& loop_;
  std::shared_ptr<Protocol> application_;  // released after its connection_lost()
  std::shared_ptr<SSLContext> context_;
  std::shared_ptr<Transport> lower_;  // kept after the loss: get_extra_info() still answers
  FuturePtr handshake_waiter_;
  double handshake_timeout_;
  TimerHandle handshake_timer_;
  std::string server_hostname_;
  std::unique_ptr<ssl_st, FreeSSL> ssl_;
  bio_st* incoming_ = nullptr;  // ciphertext from the peer, owned by ssl_
  bio_st* outgoing_ = nullptr;  // ciphertext for the peer, owned by ssl_
  State state_ = State::handshaking;
  std::exception_ptr error_;            // why the connection was aborted, for connection_lost()
  bool application_connected_ = false;  // between its connection_made() and connection_lost()
  bool reading_paused_ = false;
  bool writing_paused_ = false;              // by the lower transport
  bool application_writing_paused_ = false;  // what the application was told
};

}  // namespace pep3156::reference::tls
