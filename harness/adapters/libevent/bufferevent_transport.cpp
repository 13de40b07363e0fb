#include "bufferevent_transport.hpp"

#include <event2/buffer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <type_traits>

#include "net_support.hpp"

namespace pep3156::libevent_adapter {

namespace {

// At most this much goes to one data_received() call.
constexpr std::size_t kMaxChunk = 256 * 1024;

bool is_os_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

void BuffereventFree::operator()(bufferevent* bev) const noexcept {
  int fd = bufferevent_getfd(bev);
  bufferevent_free(bev);
  if (fd >= 0) ::close(fd);
}

BuffereventPtr make_bufferevent(LibeventEventLoop& loop, Socket fd) {
  BuffereventPtr bev(bufferevent_socket_new(loop.base(), fd.fd(), 0));
  if (!bev) throw RuntimeError("libevent: bufferevent_socket_new() failed");
  fd.release();  // BuffereventFree closes it
  return bev;
}

template <class Interface>
std::shared_ptr<BuffereventTransport<Interface>> BuffereventTransport<Interface>::start(
    LibeventEventLoop& loop, BuffereventPtr bev, StreamKind kind, std::shared_ptr<BaseProtocol> protocol,
    Future<void> waiter, Callback on_lost) {
  static_assert(std::is_same_v<Interface, Transport> || std::is_same_v<Interface, WriteTransport>);
  if ((kind == StreamKind::write_pipe) != std::is_same_v<Interface, WriteTransport>) {
    throw std::logic_error("a write pipe's transport is a WritePipeTransport, and only a write pipe's");
  }
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  if (kind != StreamKind::write_pipe && dynamic_cast<Protocol*>(protocol.get()) == nullptr) {
    throw TypeError("a readable stream transport needs a pep3156::Protocol");
  }
  auto transport = std::make_shared<BuffereventTransport>(Private{}, loop, std::move(bev), kind,
                                                          std::move(protocol), std::move(on_lost));
  transport->self_ = transport;
  loop.call_soon([transport, waiter] { transport->make_connection(waiter); });
  return transport;
}

template <class Interface>
BuffereventTransport<Interface>::BuffereventTransport(Private, LibeventEventLoop& loop, BuffereventPtr bev,
                                                      StreamKind kind, std::shared_ptr<BaseProtocol> protocol,
                                                      Callback on_lost)
    : loop_(loop),
      bev_(std::move(bev)),
      kind_(kind),
      protocol_(std::move(protocol)),
      stream_protocol_(dynamic_cast<Protocol*>(protocol_.get())),
      on_lost_(std::move(on_lost)) {
  int fd = bufferevent_getfd(bev_.get());
  if (kind_ != StreamKind::socket) {
    extra_["pipe"] = fd;
  } else {
    extra_["socket"] = fd;
    Socket borrowed(fd);
    try {
      extra_["sockname"] = borrowed.local_address();
      extra_["peername"] = borrowed.peer_address();
    } catch (const std::exception&) {
      // No peer any more (reset before we asked): no peername.
    }
    borrowed.release();
  }
  bufferevent_setcb(bev_.get(), &on_read, &on_write, &on_event, this);
  update_write_watermark();
  // Writing: libevent writes whatever the output evbuffer holds.
  bufferevent_enable(bev_.get(), EV_WRITE);
  loop_.attach(this);
}

template <class Interface>
BuffereventTransport<Interface>::~BuffereventTransport() {
  release();
}

template <class Interface>
void BuffereventTransport<Interface>::release() noexcept {
  // Frees the bufferevent (and closes the descriptor) if it is still
  // there: when connection_lost() has returned, or when the loop closes.
  if (!bev_) return;
  bev_.reset();
  loop_.detach(this);
  // The protocol too (it may hold what holds this transport), and the
  // transport's hold on itself, last: either may destroy this.
  auto protocol = std::move(protocol_);
  auto self = std::move(self_);
}

template <class Interface>
std::any BuffereventTransport<Interface>::get_extra_info(std::string_view name) const {
  auto it = extra_.find(name);
  return it == extra_.end() ? std::any() : it->second;  // TR-EXTRA-INFO-DEFAULT
}

// --- The start ----------------------------------------------------------------------

template <class Interface>
void BuffereventTransport<Interface>::make_connection(const Future<void>& waiter) {
  if (lost_scheduled_) return;  // aborted before it started
  try {
    protocol_->connection_made(this->shared_from_this());  // PROTO-SEQ-CONNECTION-MADE-ONCE
  } catch (const std::exception&) {
    auto error = std::current_exception();
    fatal_error(error, "protocol.connection_made() failed");
    if (waiter.valid() && !waiter.done()) waiter.set_exception(error);
    return;
  }
  made_ = true;
  enable_reading();
  if (waiter.valid() && !waiter.done()) waiter.set_result();
}

template <class Interface>
void BuffereventTransport<Interface>::enable_reading() {
  // A write pipe "reads" too: its reader going away shows as readiness
  // (an error, or EOF for a socket), which on_event() reports.
  if (!made_ || closing_ || reading_paused_ || eof_seen_ || !bev_) return;
  bufferevent_enable(bev_.get(), EV_READ);
  // What libevent read before a pause is still queued (or an EOF after it).
  if (evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0) schedule_delivery();
}

// --- libevent's callbacks: schedule, nothing more ------------------------------------------

template <class Interface>
void BuffereventTransport<Interface>::on_read(bufferevent*, void* transport) {
  static_cast<BuffereventTransport*>(transport)->schedule_delivery();
}

template <class Interface>
void BuffereventTransport<Interface>::on_write(bufferevent*, void* transport) {
  // The output evbuffer went down to the write low watermark.
  static_cast<BuffereventTransport*>(transport)->schedule_write_progress();
}

template <class Interface>
void BuffereventTransport<Interface>::on_event(bufferevent*, short what, void* transport) {
  auto* self = static_cast<BuffereventTransport*>(transport);
  int error = EVUTIL_SOCKET_ERROR();  // set by the read() or write() that failed, read now
  if (self->kind_ == StreamKind::write_pipe && (what & BEV_EVENT_READING)) {
    // The read end is gone. What is still buffered can never be
    // delivered: that is an error (EPIPE), else a plain end.
    bool unsent = self->get_write_buffer_size() > 0;
    self->pending_error_ = unsent ? os_error(EPIPE, "write") : nullptr;
    self->eof_seen_ = true;
    self->loop_.call_soon([self = self->shared_from_this()] { self->force_close(self->pending_error_); });
    return;
  }
  if (what & BEV_EVENT_ERROR) {
    self->pending_error_ = os_error(error, (what & BEV_EVENT_WRITING) ? "write" : "read");
  } else if (what & BEV_EVENT_EOF) {
    self->eof_seen_ = true;
  }
  self->schedule_delivery();  // the data before the EOF or error first
}

template <class Interface>
void BuffereventTransport<Interface>::schedule_delivery() {
  if (delivery_scheduled_) return;
  delivery_scheduled_ = true;
  loop_.call_soon([self = this->shared_from_this()] {
    self->delivery_scheduled_ = false;
    self->deliver();
  });
}

template <class Interface>
void BuffereventTransport<Interface>::schedule_write_progress() {
  if (write_progress_scheduled_) return;
  write_progress_scheduled_ = true;
  loop_.call_soon([self = this->shared_from_this()] {
    self->write_progress_scheduled_ = false;
    self->write_progress();
  });
}

// --- Reading ---------------------------------------------------------------------------

template <class Interface>
void BuffereventTransport<Interface>::deliver() {
  if (lost_scheduled_ || !bev_) return;
  auto keep_alive = this->shared_from_this();
  evbuffer* input = bufferevent_get_input(bev_.get());
  if (kind_ == StreamKind::write_pipe) {
    evbuffer_drain(input, evbuffer_get_length(input));  // a socket's peer wrote to a write pipe: ignored
    return;
  }
  // PROTO-DATA-NONEMPTY; never after close() (TR-CLOSE-STOPS-READING) or
  // while paused (TR-PAUSE-READING): then it waits in the evbuffer.
  while (!closing_ && !reading_paused_ && evbuffer_get_length(input) > 0) {
    Bytes chunk(std::min(evbuffer_get_length(input), kMaxChunk));
    evbuffer_remove(input, chunk.data(), chunk.size());
    try {
      stream_protocol_->data_received(chunk);
    } catch (const std::exception&) {
      fatal_error(std::current_exception(), "protocol.data_received() failed");
      return;
    }
    if (!bev_) return;  // the loop closed under the protocol
  }
  if (pending_error_) {
    force_close(pending_error_);
    return;
  }
  if (!eof_seen_ || eof_delivered_ || closing_ || reading_paused_) return;
  eof_delivered_ = true;  // PROTO-SEQ-EOF-AT-MOST-ONCE
  bool keep_open = false;
  try {
    keep_open = stream_protocol_->eof_received();
  } catch (const std::exception&) {
    fatal_error(std::current_exception(), "protocol.eof_received() failed");
    return;
  }
  // PROTO-EOF-RETURN-FALSE-CLOSES. A read pipe has no write half to keep.
  if (!keep_open || kind_ == StreamKind::read_pipe) close();
}

template <class Interface>
void BuffereventTransport<Interface>::pause_reading() {
  // Decision D-TR-4: pausing a paused transport does nothing.
  if (!reads() || closing_ || reading_paused_) return;
  reading_paused_ = true;
  bufferevent_disable(bev_.get(), EV_READ);  // the kernel holds the rest
}

template <class Interface>
void BuffereventTransport<Interface>::resume_reading() {
  if (closing_ || !reading_paused_) return;
  reading_paused_ = false;
  enable_reading();  // TR-RESUME-READING
  if (eof_seen_ && !eof_delivered_) schedule_delivery();
}

// --- Writing ---------------------------------------------------------------------------

template <class Interface>
void BuffereventTransport<Interface>::write(BytesView data) {
  if (closing_) return;  // decision D-TR-2: ignored, nothing is sent
  if (kind_ == StreamKind::read_pipe) throw NotImplementedError("write() on a read-pipe transport");
  if (eof_written_) throw RuntimeError("write() after write_eof()");  // TR-WRITE-AFTER-EOF
  if (data.empty()) return;                                           // write(b"") sends nothing
  if (get_write_buffer_size() == 0) {
    // Nothing queued: straight to the kernel, as asyncio does, so that the
    // buffer (and pause_writing()) only holds what the peer does not take.
    std::size_t sent = 0;
    if (!write_now(data, sent)) return;
    data = data.subspan(sent);
    if (data.empty()) return;
  }
  // The rest is copied into the output evbuffer; libevent sends it once
  // the descriptor is writable.
  if (bufferevent_write(bev_.get(), data.data(), data.size()) != 0) {
    fatal_error(os_error(ENOMEM, "write"), "write failed");
    return;
  }
  maybe_pause_protocol();  // may call pause_writing() now (D-PROTO-2)
}

template <class Interface>
bool BuffereventTransport<Interface>::write_now(BytesView data, std::size_t& sent) {
  int fd = bufferevent_getfd(bev_.get());
  ssize_t count;
  if (kind_ == StreamKind::socket) {
    count = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  } else {
    SigpipeGuard no_sigpipe;
    count = ::write(fd, data.data(), data.size());
  }
  if (count >= 0) {
    sent = static_cast<std::size_t>(count);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fatal_error(os_error(errno, "write"), "write failed");
    return false;
  }
  return true;
}

template <class Interface>
std::size_t BuffereventTransport<Interface>::get_write_buffer_size() const {
  return bev_ ? evbuffer_get_length(bufferevent_get_output(bev_.get())) : 0;
}

template <class Interface>
void BuffereventTransport<Interface>::maybe_pause_protocol() {
  if (protocol_paused_ || get_write_buffer_size() <= high_ || !protocol_) return;
  protocol_paused_ = true;
  try {
    protocol_->pause_writing();  // PROTO-PAUSE-WRITING
  } catch (const std::exception&) {
    report_error(loop_, "protocol.pause_writing() failed", std::current_exception(), this->shared_from_this(),
                 protocol_);
  }
}

template <class Interface>
void BuffereventTransport<Interface>::write_progress() {
  if (lost_scheduled_ || !bev_) return;
  auto keep_alive = this->shared_from_this();
  std::size_t buffered = get_write_buffer_size();
  if (protocol_paused_ && buffered <= low_) {
    protocol_paused_ = false;
    try {
      protocol_->resume_writing();  // may write, close or abort
    } catch (const std::exception&) {
      report_error(loop_, "protocol.resume_writing() failed", std::current_exception(),
                   this->shared_from_this(), protocol_);
    }
    if (lost_scheduled_ || !bev_) return;
    buffered = get_write_buffer_size();
  }
  if (buffered > 0) return;
  if (closing_) {
    schedule_connection_lost(nullptr);  // TR-CLOSE-FLUSHES: the buffer has drained
  } else if (eof_written_) {
    shutdown_write();
  }
}

template <class Interface>
void BuffereventTransport<Interface>::update_write_watermark() {
  // libevent calls on_write() once the output is at or below it: the low
  // water mark to resume the protocol; zero when waiting for the buffer to
  // drain (close(), write_eof()).
  std::size_t low = (closing_ || eof_written_) ? 0 : low_;
  bufferevent_setwatermark(bev_.get(), EV_WRITE, low, 0);
}

template <class Interface>
void BuffereventTransport<Interface>::set_write_buffer_limits(std::optional<std::size_t> high,
                                                              std::optional<std::size_t> low) {
  // High defaults to 64 KiB (4 * low if only low is given), low to high / 4,
  // so high = 0 forces low = 0 (TR-LIMITS-HIGH-ZERO). ValueError unless
  // low <= high (decision D-TR-3).
  std::size_t new_high = high ? *high : (low ? 4 * *low : kDefaultHigh);
  std::size_t new_low = low ? *low : new_high / 4;
  if (new_low > new_high) throw ValueError("set_write_buffer_limits(): low must be <= high");
  high_ = new_high;
  low_ = new_low;
  if (bev_) update_write_watermark();
  maybe_pause_protocol();  // TR-LIMITS-DRIVE-FLOW-CONTROL
}

template <class Interface>
void BuffereventTransport<Interface>::write_eof() {
  if (closing_ || eof_written_) return;
  if (kind_ == StreamKind::read_pipe) throw NotImplementedError("write_eof() on a read-pipe transport");
  if (kind_ == StreamKind::write_pipe) {
    close();  // a pipe signals EOF by closing
    return;
  }
  eof_written_ = true;
  update_write_watermark();
  if (get_write_buffer_size() == 0) shutdown_write();  // else once drained (TR-WRITE-EOF)
}

template <class Interface>
void BuffereventTransport<Interface>::shutdown_write() {
  if (shut_down_) return;
  shut_down_ = true;
  if (::shutdown(bufferevent_getfd(bev_.get()), SHUT_WR) != 0) {
    fatal_error(os_error(errno, "shutdown"), "shutdown failed");
  }
}

// --- The end -----------------------------------------------------------------------------

template <class Interface>
void BuffereventTransport<Interface>::close() {
  if (closing_) return;
  closing_ = true;
  if (!bev_) return;
  bufferevent_disable(bev_.get(), EV_READ);  // TR-CLOSE-STOPS-READING
  update_write_watermark();
  // TR-CLOSE-NONBLOCKING: connection_lost() comes later, never from here.
  if (get_write_buffer_size() == 0) schedule_connection_lost(nullptr);
}

template <class Interface>
void BuffereventTransport<Interface>::abort() {
  force_close(nullptr);  // TR-ABORT
}

template <class Interface>
void BuffereventTransport<Interface>::fatal_error(std::exception_ptr error, const char* message) {
  // An OS error is the connection's fate; anything else is a protocol's
  // bug, which the exception handler hears of too.
  if (!is_os_error(error)) report_error(loop_, message, error, this->shared_from_this(), protocol_);
  force_close(std::move(error));
}

template <class Interface>
void BuffereventTransport<Interface>::force_close(std::exception_ptr error) {
  if (lost_scheduled_) return;
  closing_ = true;
  if (bev_) {
    evbuffer* output = bufferevent_get_output(bev_.get());
    evbuffer_drain(output, evbuffer_get_length(output));
  }
  schedule_connection_lost(std::move(error));
}

template <class Interface>
void BuffereventTransport<Interface>::schedule_connection_lost(std::exception_ptr error) {
  if (lost_scheduled_) return;
  lost_scheduled_ = true;  // PROTO-SEQ-CONNECTION-LOST-ONCE
  if (bev_) bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
  loop_.call_soon([self = this->shared_from_this(), error] { self->call_connection_lost(error); });
}

template <class Interface>
void BuffereventTransport<Interface>::call_connection_lost(std::exception_ptr error) {
  // The last call; then, whatever it threw, the descriptor is closed and
  // the protocol released, which breaks the transport <-> protocol cycle.
  std::exception_ptr failure;
  try {
    protocol_->connection_lost(error);
  } catch (...) {
    failure = std::current_exception();
  }
  auto keep_alive = this->shared_from_this();
  release();
  if (on_lost_) std::exchange(on_lost_, {})();
  if (failure) std::rethrow_exception(failure);
}

template class BuffereventTransport<Transport>;
template class BuffereventTransport<WriteTransport>;

}  // namespace pep3156::libevent_adapter
