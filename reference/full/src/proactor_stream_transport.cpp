#include "reference/proactor_stream_transport.hpp"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <utility>

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference {

namespace {

// What one receive asks for: as much as a readiness transport reads at once.
constexpr std::size_t kReceiveSize = 256 * 1024;
// At most this many buffers go to one gathering send.
constexpr std::size_t kMaxBuffersPerSend = 64;

}  // namespace

std::shared_ptr<ProactorStreamTransport> ProactorStreamTransport::start(
    AbstractEventLoop& loop, Proactor& proactor, Socket fd, std::shared_ptr<BaseProtocol> protocol,
    Future<void> waiter, Callback on_lost) {
  if (dynamic_cast<Protocol*>(protocol.get()) == nullptr) {
    throw TypeError("a stream transport needs a pep3156::Protocol");
  }
  auto transport = std::make_shared<ProactorStreamTransport>(Private{}, loop, proactor, std::move(fd),
                                                             std::move(protocol), std::move(on_lost));
  transport->SelectorTransport::start(std::move(waiter));
  return transport;
}

ProactorStreamTransport::ProactorStreamTransport(Private, AbstractEventLoop& loop, Proactor& proactor,
                                                 Socket fd, std::shared_ptr<BaseProtocol> protocol,
                                                 Callback on_lost)
    : SelectorTransport(loop, std::move(fd), false, std::move(protocol), std::move(on_lost)),
      proactor_(proactor),
      stream_protocol_(dynamic_cast<Protocol*>(protocol_.get())),
      receive_buffer_(kReceiveSize) {}

/// Once connection_made() has returned: the first receive.
void ProactorStreamTransport::watch() { submit_receive(); }

/// The end (abort, errors): nothing more is sent, and every operation is
/// cancelled; their buffers stay with their completions until these arrive.
void ProactorStreamTransport::discard_buffer() noexcept {
  buffer_.clear();
  cancel(receiving_);
  cancel(send_operation_);
}

void ProactorStreamTransport::cancel(OperationId& operation) noexcept {
  if (operation != 0) proactor_.cancel(std::exchange(operation, 0));
}

// --- Reading ------------------------------------------------------------------

void ProactorStreamTransport::submit_receive() {
  if (!made_ || closing_ || eof_seen_ || receiving_ != 0 || held_) return;
  receiving_ = proactor_.recv(fd_.fd(), receive_buffer_, [self = self_ptr()](int result) {
    self->receiving_ = 0;
    self->received(result);
  });
}

void ProactorStreamTransport::received(int result) {
  if (closing_) return;  // cancelled by close() or abort(), or finished just before: reading is over
  if (result == -EAGAIN) {
    // A kernel that honours O_NONBLOCK for the operation: wait until the
    // socket is readable, then receive again.
    receiving_ = proactor_.poll(fd_.fd(), Events::readable, [self = self_ptr()](int) {
      self->receiving_ = 0;
      self->submit_receive();
    });
    return;
  }
  if (result < 0) {
    fatal_error(net::os_error(-result, "recv"), "read failed");
  } else if (result == 0) {
    read_eof();
  } else if (reading_paused_) {
    held_ = static_cast<std::size_t>(result);  // TR-PAUSE-READING: for resume_reading()
  } else {
    deliver(static_cast<std::size_t>(result));
  }
}

void ProactorStreamTransport::deliver(std::size_t count) {
  try {
    stream_protocol_->data_received(BytesView(receive_buffer_.data(), count));  // PROTO-DATA-NONEMPTY
  } catch (const std::exception&) {
    fatal_error(std::current_exception(), "protocol.data_received() failed");
    return;
  }
  submit_receive();  // a receive in flight while reading
}

void ProactorStreamTransport::read_eof() {
  eof_seen_ = true;
  bool keep_open = false;
  try {
    keep_open = stream_protocol_->eof_received();  // PROTO-SEQ-EOF-AT-MOST-ONCE
  } catch (const std::exception&) {
    fatal_error(std::current_exception(), "protocol.eof_received() failed");
    return;
  }
  if (!keep_open) close();  // PROTO-EOF-RETURN-FALSE-CLOSES
}

void ProactorStreamTransport::pause_reading() {
  // Decision D-TR-4: pausing a paused transport does nothing. The receive
  // in flight stays: what it brings is held, not lost.
  if (closing_ || reading_paused_) return;
  reading_paused_ = true;
}

void ProactorStreamTransport::resume_reading() {
  if (closing_ || !reading_paused_) return;
  reading_paused_ = false;
  if (!held_) {
    submit_receive();
    return;
  }
  // TR-RESUME-READING: the held bytes come first, from call_soon() as every
  // protocol call after connection_made(); resume_reading() may come from
  // inside a protocol method, which must not be re-entered.
  loop_.call_soon([self = self_ptr()] {
    if (self->closing_ || self->reading_paused_ || !self->held_) return;
    self->deliver(*std::exchange(self->held_, std::nullopt));
  });
}

// --- Writing ------------------------------------------------------------------

void ProactorStreamTransport::write(BytesView data) { writelines(std::span<const BytesView>(&data, 1)); }

void ProactorStreamTransport::writelines(std::span<const BytesView> buffers) {
  if (closing_) return;                                               // decision D-TR-2
  if (eof_written_) throw RuntimeError("write() after write_eof()");  // TR-WRITE-AFTER-EOF
  std::size_t queued_before = get_write_buffer_size();
  for (BytesView data : buffers) buffer_.append(data);
  if (get_write_buffer_size() == queued_before) return;  // write(b"") does nothing
  if (!sending_) submit_send();
  flow_.buffer_grew(get_write_buffer_size(), parties());  // may call pause_writing() now (D-PROTO-2)
}

std::size_t ProactorStreamTransport::get_write_buffer_size() const {
  return buffer_.size() + (sending_ ? sending_->bytes.size() : 0);
}

/// Sends what the send in flight has left or, once it has none, all that
/// was written meanwhile, as one gathering send operation.
void ProactorStreamTransport::submit_send() {
  if (!sending_) {
    sending_ = std::make_shared<Send>();
    std::swap(sending_->bytes, buffer_);
  }
  std::array<BytesView, kMaxBuffersPerSend> unsent;
  std::size_t count = sending_->bytes.gather(unsent);
  send_operation_ =
      proactor_.send_gathered(fd_.fd(), std::span(unsent.data(), count), [self = self_ptr()](int result) {
        self->send_operation_ = 0;
        self->sent(result);
      });
}

void ProactorStreamTransport::sent(int result) {
  if (lost_scheduled_) {
    sending_.reset();  // the kernel is done with it
    return;
  }
  if (result == -EAGAIN) {
    send_operation_ = proactor_.poll(fd_.fd(), Events::writable, [self = self_ptr()](int) {
      self->send_operation_ = 0;
      if (!self->lost_scheduled_) self->submit_send();
    });
    return;
  }
  if (result < 0) {
    sending_.reset();
    fatal_error(net::os_error(-result, "send"), "write failed");
    return;
  }
  sending_->bytes.consume(static_cast<std::size_t>(result));
  if (sending_->bytes.empty()) sending_.reset();
  if (sending_ || !buffer_.empty()) submit_send();
  flow_.buffer_shrank(get_write_buffer_size(), parties());  // resume_writing() may write, close or abort
  if (sending_ || lost_scheduled_) return;
  if (closing_) {
    schedule_connection_lost(nullptr);  // TR-CLOSE-FLUSHES: everything is sent
  } else if (eof_written_) {
    shutdown_write();
  }
}

void ProactorStreamTransport::write_eof() {
  if (closing_ || eof_written_) return;
  eof_written_ = true;
  if (!sending_) shutdown_write();  // else once the sends have drained (TR-WRITE-EOF)
}

void ProactorStreamTransport::shutdown_write() {
  if (::shutdown(fd_.fd(), SHUT_WR) != 0) fatal_error(net::os_error(errno, "shutdown"), "shutdown failed");
}

void ProactorStreamTransport::set_write_buffer_limits(std::optional<std::size_t> high,
                                                      std::optional<std::size_t> low) {
  flow_.set_limits(high, low);
  flow_.buffer_grew(get_write_buffer_size(), parties());
}

// --- Closing ------------------------------------------------------------------

void ProactorStreamTransport::close() {
  if (closing_) return;
  closing_ = true;
  held_.reset();
  cancel(receiving_);  // TR-CLOSE-STOPS-READING
  // TR-CLOSE-NONBLOCKING: connection_lost() comes later, never from here.
  if (!sending_) schedule_connection_lost(nullptr);
}

void ProactorStreamTransport::abort() { force_close(nullptr); }  // TR-ABORT

}  // namespace pep3156::reference
