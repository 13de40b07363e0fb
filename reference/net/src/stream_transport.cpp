#include "reference/net/stream_transport.hpp"

#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <type_traits>

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

namespace {

// At most this many buffers go to one sendmsg()/writev().
constexpr std::size_t kMaxIovecs = 64;

}  // namespace

template <class Interface>
std::shared_ptr<BasicStreamTransport<Interface>> BasicStreamTransport<Interface>::start(
    AbstractEventLoop& loop, Socket fd, StreamKind kind, std::shared_ptr<BaseProtocol> protocol,
    Future<void> waiter, Callback on_lost) {
  if ((kind == StreamKind::write_pipe) != std::is_same_v<Interface, WriteTransport>) {
    throw std::logic_error("a write pipe's transport is a WritePipeTransport, and only a write pipe's");
  }
  if (kind != StreamKind::write_pipe && dynamic_cast<Protocol*>(protocol.get()) == nullptr) {
    throw TypeError("a readable stream transport needs a pep3156::Protocol");
  }
  auto transport = std::make_shared<BasicStreamTransport>(Private{}, loop, std::move(fd), kind,
                                                          std::move(protocol), std::move(on_lost));
  transport->SelectorTransport::start(std::move(waiter));
  return transport;
}

template <class Interface>
BasicStreamTransport<Interface>::BasicStreamTransport(Private, AbstractEventLoop& loop, Socket fd,
                                                      StreamKind kind, std::shared_ptr<BaseProtocol> protocol,
                                                      Callback on_lost)
    : SelectorTransport(loop, std::move(fd), kind != StreamKind::socket, std::move(protocol),
                        std::move(on_lost)),
      kind_(kind),
      fd_is_socket_(S_ISSOCK(file_mode(fd_.fd()))),
      stream_protocol_(dynamic_cast<Protocol*>(protocol_.get())) {}

/// Registers the reader: the read half's data, or for a write pipe the
/// read end going away (the write end of a pipe polls as readable -- an
/// error -- once no reader is left; asyncio watches it the same way).
template <class Interface>
void BasicStreamTransport<Interface>::watch() {
  if (reads()) {
    if (!made_ || closing_ || reading_paused_ || eof_seen_) return;
    loop_.add_reader(fd_.fd(), [self = self_ptr()] { self->read_ready(); });
  } else if (!closing_ && (fd_is_socket_ || S_ISFIFO(file_mode(fd_.fd())))) {
    loop_.add_reader(fd_.fd(), [self = self_ptr()] { self->peer_closed_pipe(); });
  }
}

// --- Reading ------------------------------------------------------------------

template <class Interface>
void BasicStreamTransport<Interface>::read_ready() {
  if (closing_ || reading_paused_) return;  // a readiness reported just before the reader went
  auto keep_alive = self_ptr();
  std::span<std::byte> buffer = receive_buffer();
  IoResult got = read_some(fd_.fd(), buffer);
  if (got.error != 0) {
    if (!got.would_block()) fatal_error(os_error(got.error, "read"), "read failed");
    return;
  }
  if (got.count == 0) {
    read_eof();
    return;
  }
  try {
    stream_protocol_->data_received(BytesView(buffer.data(), got.count));  // PROTO-DATA-NONEMPTY
  } catch (const std::exception&) {
    fatal_error(std::current_exception(), "protocol.data_received() failed");
  }
}

template <class Interface>
void BasicStreamTransport<Interface>::read_eof() {
  eof_seen_ = true;
  loop_.remove_reader(fd_.fd());
  bool keep_open = false;
  try {
    keep_open = stream_protocol_->eof_received();  // PROTO-SEQ-EOF-AT-MOST-ONCE: reading is over
  } catch (const std::exception&) {
    fatal_error(std::current_exception(), "protocol.eof_received() failed");
    return;
  }
  // PROTO-EOF-RETURN-FALSE-CLOSES. A read pipe has no write half to keep.
  if (!keep_open || kind_ == StreamKind::read_pipe) close();
}

template <class Interface>
void BasicStreamTransport<Interface>::peer_closed_pipe() {
  // What is still buffered can never be delivered: that is an error.
  force_close(buffer_.empty() ? nullptr : os_error(EPIPE, "write"));
}

template <class Interface>
void BasicStreamTransport<Interface>::pause_reading() {
  // Decision D-TR-4: pausing a paused transport does nothing.
  if (!reads() || closing_ || reading_paused_) return;
  reading_paused_ = true;
  loop_.remove_reader(fd_.fd());
}

template <class Interface>
void BasicStreamTransport<Interface>::resume_reading() {
  if (closing_ || !reading_paused_) return;
  reading_paused_ = false;
  watch();  // TR-RESUME-READING: what arrived meanwhile waits in the kernel
}

// --- Writing ------------------------------------------------------------------

template <class Interface>
void BasicStreamTransport<Interface>::write(BytesView data) {
  writelines(std::span<const BytesView>(&data, 1));
}

template <class Interface>
void BasicStreamTransport<Interface>::writelines(std::span<const BytesView> buffers) {
  if (closing_) return;  // decision D-TR-2: ignored, nothing is sent
  if (kind_ == StreamKind::read_pipe) throw NotImplementedError("write() on a read-pipe transport");
  if (eof_written_) throw RuntimeError("write() after write_eof()");  // TR-WRITE-AFTER-EOF

  // Nothing queued: send at once, straight from the caller's buffers, in one
  // gather write (PEP 3153's write_sequence). Whatever the kernel does not
  // take is queued below.
  std::size_t sent = 0;
  if (buffer_.empty()) {
    std::array<iovec, kMaxIovecs> iov;
    std::size_t count = 0;
    for (BytesView data : buffers) {
      if (!data.empty() && count < iov.size()) iov[count++] = as_iovec(data);
    }
    if (count == 0) return;  // write(b"") does nothing
    IoResult result = write_some(fd_.fd(), fd_is_socket_, std::span(iov.data(), count));
    if (result.error != 0 && !result.would_block()) {
      fatal_error(os_error(result.error, "write"), "write failed");
      return;
    }
    sent = result.count;
  }

  std::size_t queued_before = buffer_.size();
  for (BytesView data : buffers) {
    std::size_t skip = std::min(sent, data.size());
    sent -= skip;
    buffer_.append(data.subspan(skip));
  }
  if (buffer_.size() == queued_before) return;
  if (queued_before == 0) {
    loop_.add_writer(fd_.fd(), [self = self_ptr()] { self->write_ready(); });
  }
  flow_.buffer_grew(buffer_.size(), parties());  // may call pause_writing() now (D-PROTO-2)
}

template <class Interface>
void BasicStreamTransport<Interface>::write_ready() {
  if (lost_scheduled_) return;
  auto keep_alive = self_ptr();
  std::array<BytesView, kMaxIovecs> unsent;
  std::array<iovec, kMaxIovecs> iov;
  std::size_t count = buffer_.gather(unsent);
  std::transform(unsent.begin(), unsent.begin() + count, iov.begin(), as_iovec);
  IoResult result = write_some(fd_.fd(), fd_is_socket_, std::span(iov.data(), count));
  if (result.error != 0) {
    if (!result.would_block()) fatal_error(os_error(result.error, "write"), "write failed");
    return;
  }
  buffer_.consume(result.count);
  flow_.buffer_shrank(buffer_.size(), parties());  // resume_writing() may write, close or abort
  if (!buffer_.empty() || lost_scheduled_) return;

  loop_.remove_writer(fd_.fd());
  if (closing_) {
    schedule_connection_lost(nullptr);  // TR-CLOSE-FLUSHES: the buffer has drained
  } else if (eof_written_) {
    shutdown_write();
  }
}

template <class Interface>
void BasicStreamTransport<Interface>::write_eof() {
  if (closing_ || eof_written_) return;
  if (kind_ == StreamKind::read_pipe) throw NotImplementedError("write_eof() on a read-pipe transport");
  if (kind_ == StreamKind::write_pipe) {
    close();  // a pipe signals EOF by closing
    return;
  }
  eof_written_ = true;
  if (buffer_.empty()) shutdown_write();  // else once write_ready() has drained it (TR-WRITE-EOF)
}

template <class Interface>
void BasicStreamTransport<Interface>::shutdown_write() {
  if (::shutdown(fd_.fd(), SHUT_WR) != 0) fatal_error(os_error(errno, "shutdown"), "shutdown failed");
}

template <class Interface>
void BasicStreamTransport<Interface>::set_write_buffer_limits(std::optional<std::size_t> high,
                                                              std::optional<std::size_t> low) {
  flow_.set_limits(high, low);
  flow_.buffer_grew(buffer_.size(), parties());
}

// --- Closing ------------------------------------------------------------------

template <class Interface>
void BasicStreamTransport<Interface>::close() {
  if (closing_) return;
  closing_ = true;
  if (reads()) loop_.remove_reader(fd_.fd());  // TR-CLOSE-STOPS-READING
  // TR-CLOSE-NONBLOCKING: connection_lost() comes later, never from here.
  if (buffer_.empty()) schedule_connection_lost(nullptr);
}

template <class Interface>
void BasicStreamTransport<Interface>::abort() {
  force_close(nullptr);
}  // TR-ABORT

template class BasicStreamTransport<Transport>;
template class BasicStreamTransport<WriteTransport>;

}  // namespace pep3156::reference::net
