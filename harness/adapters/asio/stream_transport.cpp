#include "stream_transport.hpp"

#include <asio/write.hpp>
#include <system_error>

#include "os_error.hpp"
#include "reference/net/sigpipe_guard.hpp"

namespace loopcert_asio {

using pep3156::BytesView;

namespace {
constexpr std::size_t kReadChunk = 256 * 1024;

/// A socket writes with MSG_NOSIGNAL, but a descriptor's write_some() is
/// writev(): to a pipe whose reader is gone, that raises SIGPIPE, which
/// would kill the process. Held back while a descriptor may write, so
/// that the write fails with EPIPE.
template <class Stream>
struct NoSigpipe {
  std::optional<pep3156::reference::net::SigpipeGuard> guard;
  NoSigpipe() {
    if constexpr (std::is_same_v<Stream, PipeDescriptor>) guard.emplace();
  }
};
}  // namespace

template <class Stream, class Interface>
std::shared_ptr<BasicStreamTransport<Stream, Interface>> BasicStreamTransport<Stream, Interface>::start(
    AsioEventLoop& loop, Stream stream, std::shared_ptr<pep3156::BaseProtocol> protocol,
    pep3156::Future<void> waiter, std::function<void()> on_lost) {
  auto transport = std::make_shared<BasicStreamTransport>(Private{}, loop, std::move(stream),
                                                          std::move(protocol), std::move(on_lost));
  loop.track(transport);
  transport->TransportCore::start(std::move(waiter));
  return transport;
}

template <class Stream, class Interface>
BasicStreamTransport<Stream, Interface>::BasicStreamTransport(Private, AsioEventLoop& loop, Stream stream,
                                                              std::shared_ptr<pep3156::BaseProtocol> protocol,
                                                              std::function<void()> on_lost)
    : TransportCore(loop, stream.native_handle(), protocol, std::move(on_lost),
                    kSocket ? Descriptor::socket : Descriptor::pipe),
      stream_(std::move(stream)),
      stream_protocol_(dynamic_cast<pep3156::Protocol*>(protocol.get())) {
  if (kReads && !stream_protocol_)
    throw pep3156::TypeError("a readable stream transport needs a pep3156::Protocol");
  // write() first tries to send at once, and must not block: Asio's
  // user-level non-blocking mode makes write_some() say would_block.
  stream_->non_blocking(true);
}

// --- Reading ------------------------------------------------------------------

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::start_receiving() {
  if (reading_ || reading_paused_ || closing_ || eof_seen_ || !made_) return;
  reading_ = true;
  if constexpr (!kReads) {
    watch_reader_gone();
  } else {
    if (read_buffer_.empty()) read_buffer_.resize(kReadChunk);
    stream_->async_read_some(
        asio::buffer(read_buffer_),
        [self = this->shared_from_this()](const asio::error_code& error, std::size_t count) {
          self->loop_.call_soon([self, error, count] { self->on_read(error, count); });
        });
  }
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::watch_reader_gone() {
  // A write pipe whose read end closes becomes "readable" (POLLERR), as
  // asyncio's _UnixWritePipeTransport watches for: what is still buffered
  // can never be delivered, which is an error (EPIPE); else a plain end.
  stream_->async_wait(Stream::wait_read, [self = this->shared_from_this()](const asio::error_code& error) {
    self->loop_.call_soon([self, error] {
      self->reading_ = false;
      if (error || self->lost_scheduled_) return;  // operation_aborted: closed meanwhile
      self->eof_seen_ = true;
      bool unsent = self->get_write_buffer_size() > 0;
      self->force_close(unsent ? std::make_exception_ptr(os_error(asio::error::broken_pipe, "write"))
                               : nullptr);
    });
  });
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::on_read(asio::error_code error, std::size_t count) {
  if (closing_) {
    reading_ = false;  // TR-CLOSE-STOPS-READING: what came is dropped
    return;
  }
  if (reading_paused_) {
    held_ = Completion{error, count};  // TR-PAUSE-READING; read_buffer_ keeps the bytes
    return;
  }
  reading_ = false;
  if (error == asio::error::eof) {
    read_eof();
    return;
  }
  if (error) {
    if (error != asio::error::operation_aborted) os_failure(error, "read");
    return;
  }
  try {
    stream_protocol_->data_received(BytesView(read_buffer_.data(), count));  // PROTO-DATA-NONEMPTY: count > 0
  } catch (const std::exception&) {
    protocol_failure(std::current_exception(), "protocol.data_received() failed");
    return;
  }
  start_receiving();
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::read_eof() {
  eof_seen_ = true;
  bool keep_open = false;
  try {
    keep_open = stream_protocol_->eof_received();  // PROTO-SEQ-EOF-AT-MOST-ONCE
  } catch (const std::exception&) {
    protocol_failure(std::current_exception(), "protocol.eof_received() failed");
    return;
  }
  // PROTO-EOF-RETURN-FALSE-CLOSES. A read pipe has no write half to keep.
  if (!keep_open || kReadPipe) close();
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::pause_reading() {
  reading_paused_ = true;  // D-TR-4: pausing a paused transport does nothing
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::resume_reading() {
  if (closing_ || !reading_paused_) return;
  reading_paused_ = false;
  if (held_) {
    // TR-RESUME-READING: what arrived meanwhile, from the ready queue.
    Completion held = *std::exchange(held_, std::nullopt);
    loop_.call_soon([self = this->shared_from_this(), held] { self->on_read(held.error, held.count); });
  } else {
    start_receiving();
  }
}

// --- Writing ------------------------------------------------------------------

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::write(BytesView data) {
  writelines(std::span<const BytesView>(&data, 1));
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::writelines(std::span<const BytesView> buffers) {
  if constexpr (kReadPipe) throw pep3156::NotImplementedError("write() on a read-pipe transport");
  if (closing_) return;  // D-TR-2: ignored, nothing is sent
  if (eof_written_) throw pep3156::RuntimeError("write() after write_eof()");  // TR-WRITE-AFTER-EOF
  std::size_t sent = 0;
  if (!writing_ && pending_.empty()) {
    // Nothing queued: send at once, in one gather write; Asio's non-blocking
    // write_some() takes what the kernel takes.
    std::vector<asio::const_buffer> gather;
    for (BytesView data : buffers) {
      if (!data.empty()) gather.emplace_back(data.data(), data.size());
    }
    if (gather.empty()) return;  // write(b"") sends nothing
    asio::error_code error;
    {
      NoSigpipe<Stream> no_sigpipe;
      sent = stream_->write_some(gather, error);
    }
    if (error && error != asio::error::would_block) {
      os_failure(error, "write");
      return;
    }
  }
  for (BytesView data : buffers) {
    std::size_t skip = std::min(sent, data.size());
    sent -= skip;
    pending_.insert(pending_.end(), data.begin() + static_cast<std::ptrdiff_t>(skip), data.end());
  }
  if (pending_.empty()) return;
  start_writing();
  buffer_grew();  // may call pause_writing() now (D-PROTO-2)
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::start_writing() {
  if (writing_ || pending_.empty()) return;
  writing_ = true;
  in_flight_.swap(pending_);
  // Asio may write at once, from here (a speculative write); the rest is
  // written from inside run_one(), where the loop holds SIGPIPE back too
  // while a pipe's write is in flight.
  if constexpr (!kSocket) loop_.pipe_write_started();
  NoSigpipe<Stream> no_sigpipe;
  asio::async_write(*stream_, asio::buffer(in_flight_),
                    [self = this->shared_from_this()](const asio::error_code& error, std::size_t) {
                      self->loop_.call_soon([self, error] { self->on_written(error); });
                    });
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::on_written(asio::error_code error) {
  if constexpr (!kSocket) loop_.pipe_write_ended();
  writing_ = false;
  in_flight_.clear();
  if (lost_scheduled_) return;
  if (error) {
    if (error != asio::error::operation_aborted) os_failure(error, "write");
    return;
  }
  buffer_shrank();  // resume_writing() may write, close or abort
  if (lost_scheduled_ || writing_) return;
  if (!pending_.empty()) {
    start_writing();
  } else if (closing_) {
    schedule_connection_lost(nullptr);  // TR-CLOSE-FLUSHES: drained
  } else if (eof_written_) {
    shutdown_write();
  }
}

template <class Stream, class Interface>
std::size_t BasicStreamTransport<Stream, Interface>::get_write_buffer_size() const {
  return lost_scheduled_ ? 0 : pending_.size() + in_flight_.size();
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::write_eof() {
  if constexpr (kReadPipe) throw pep3156::NotImplementedError("write_eof() on a read-pipe transport");
  if (closing_ || eof_written_) return;
  if constexpr (!kSocket) {
    close();  // a pipe signals EOF by closing, once drained
    return;
  }
  eof_written_ = true;
  if (!writing_ && pending_.empty()) shutdown_write();  // else once drained (TR-WRITE-EOF)
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::shutdown_write() {
  if constexpr (kSocket) {
    asio::error_code error;
    stream_->shutdown(asio::socket_base::shutdown_send, error);
    if (error) os_failure(error, "shutdown");
  }
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::set_write_buffer_limits(std::optional<std::size_t> high,
                                                                      std::optional<std::size_t> low) {
  // asyncio's defaults: high 64 KiB (4 * low if only low is given), low
  // high / 4, so high = 0 makes low 0 (TR-LIMITS-HIGH-ZERO). D-TR-3.
  std::size_t new_high = high ? *high : (low ? 4 * *low : 64 * 1024);
  std::size_t new_low = low ? *low : new_high / 4;
  if (new_low > new_high) throw pep3156::ValueError("set_write_buffer_limits(): low must be <= high");
  high_water_ = new_high;
  low_water_ = new_low;
  buffer_grew();  // TR-LIMITS-DRIVE-FLOW-CONTROL
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::buffer_grew() {
  if (protocol_paused_ || closing_ || get_write_buffer_size() <= high_water_) return;
  protocol_paused_ = true;  // PROTO-PAUSE-WRITING
  try {
    protocol_->pause_writing();
  } catch (const std::exception&) {
    report("protocol.pause_writing() failed", std::current_exception());
  }
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::buffer_shrank() {
  if (!protocol_paused_ || get_write_buffer_size() > low_water_) return;
  protocol_paused_ = false;  // PROTO-FLOW-PAIRS
  try {
    protocol_->resume_writing();
  } catch (const std::exception&) {
    report("protocol.resume_writing() failed", std::current_exception());
  }
}

// --- Closing ------------------------------------------------------------------

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::close() {
  if (closing_) return;
  closing_ = true;  // TR-CLOSE-STOPS-READING: a read that completes now is dropped
  held_.reset();
  // TR-CLOSE-NONBLOCKING: connection_lost() comes later, never from here.
  if (!writing_ && pending_.empty()) schedule_connection_lost(nullptr);
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::abort() {
  force_close(nullptr);  // TR-ABORT
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::discard() noexcept {
  held_.reset();
  pending_.clear();  // dropped, and the write in flight stops now
  asio::error_code ignored;
  if (stream_) stream_->cancel(ignored);
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::close_socket() noexcept {
  stream_.reset();
}

template <class Stream, class Interface>
void BasicStreamTransport<Stream, Interface>::release_io() noexcept {
  closing_ = true;
  lost_scheduled_ = true;
  released_ = true;
  stream_.reset();  // closes the descriptor
}

template class BasicStreamTransport<StreamSocket, pep3156::Transport>;
template class BasicStreamTransport<PipeDescriptor, pep3156::Transport>;
template class BasicStreamTransport<PipeDescriptor, pep3156::WriteTransport>;

}  // namespace loopcert_asio
