#include "uv_stream_transport.hpp"

#include <sys/socket.h>

#include <array>
#include <map>
#include <string>

#include "hold_back_sigpipe.hpp"
#include "uv_write_limits.hpp"

namespace loopcert_libuv {

// --- UvStream ---------------------------------------------------------------------------

UvStream::~UvStream() {
  if (events) events->on_stream_gone();
}

int UvStream::fd() const noexcept {
  uv_os_fd_t fd = -1;
  uv_fileno(&handle, &fd);
  return fd;
}

namespace {

// One uv_read_start() buffer per read callback: what asyncio reads at once.
constexpr std::size_t kReadSize = 64 * 1024;

/// A uv_write() of bytes the kernel did not take at once: libuv needs them
/// until its callback.
struct WriteRequest {
  uv_write_t request{};
  Bytes data;
};

SocketAddress address_of(int fd, int (*get)(int, sockaddr*, socklen_t*)) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (get(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  return SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}

template <class Interface>
class UvStreamTransport final : public Interface,
                                public StreamEvents,
                                public std::enable_shared_from_this<UvStreamTransport<Interface>> {
 public:
  UvStreamTransport(UvEventLoop& loop, UvStreamPtr stream, StreamKind kind,
                    std::shared_ptr<BaseProtocol> protocol, Callback on_lost)
      : loop_(loop),
        stream_(stream.release()),
        kind_(kind),
        protocol_(std::move(protocol)),
        stream_protocol_(dynamic_cast<Protocol*>(protocol_.get())),
        on_lost_(std::move(on_lost)) {
    int fd = stream_->fd();
    if (kind_ == StreamKind::socket) {
      extra_["socket"] = fd;
      if (SocketAddress local = address_of(fd, ::getsockname); !local.empty()) extra_["sockname"] = local;
      if (SocketAddress peer = address_of(fd, ::getpeername); !peer.empty()) extra_["peername"] = peer;
    } else {
      extra_["pipe"] = fd;
    }
  }

  void start(Future<void> waiter) {
    stream_->events = this->shared_from_this();
    loop_.call_soon([self = this->shared_from_this(), waiter] { self->make_connection(waiter); });
  }

  // --- BaseTransport -------------------------------------------------------------

  std::any get_extra_info(std::string_view name) const override {
    auto it = extra_.find(name);
    return it == extra_.end() ? std::any() : it->second;  // TR-EXTRA-INFO-DEFAULT
  }
  using BaseTransport::get_extra_info;
  bool is_closing() const override { return closing_; }

  void close() override {
    if (closing_) return;
    closing_ = true;
    stop_reading();  // TR-CLOSE-STOPS-READING
    // TR-CLOSE-FLUSHES: connection_lost() once libuv has written the rest.
    if (writes_in_flight_ == 0) schedule_connection_lost(nullptr);
  }

  // --- ReadTransport (a write pipe's are unreachable through its interface) ------

  void pause_reading() {
    if (!reads() || closing_ || reading_paused_) return;  // D-TR-4
    reading_paused_ = true;
    stop_reading();
  }
  void resume_reading() {
    if (closing_ || !reading_paused_) return;
    reading_paused_ = false;
    start_reading();
    if (!unread_.empty() || eof_seen_ || read_error_) schedule_delivery();  // TR-RESUME-READING
  }

  // --- WriteTransport ------------------------------------------------------------

  void write(BytesView data) override {
    if (closing_) return;  // D-TR-2: ignored, nothing is sent
    if (kind_ == StreamKind::read_pipe) throw NotImplementedError("write() on a read-pipe transport");
    if (eof_written_) throw RuntimeError("write() after write_eof()");  // TR-WRITE-AFTER-EOF
    if (data.empty()) return;
    // What the kernel takes now is not copied; uv_try_write() refuses while
    // earlier writes are queued, which keeps the order.
    HoldBackSigpipe sigpipe;
    uv_buf_t now = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data.data())), data.size());
    int sent = uv_try_write(&stream_->stream, &now, 1);
    if (sent < 0 && sent != UV_EAGAIN) {
      force_close(std::make_exception_ptr(std::system_error(uv_error_code(sent), "write")));
      return;
    }
    std::size_t taken = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    if (taken == data.size()) return;
    auto request = new WriteRequest{};
    request->data.assign(data.begin() + taken, data.end());
    request->request.data = stream_;
    uv_buf_t rest = uv_buf_init(reinterpret_cast<char*>(request->data.data()), request->data.size());
    int status = uv_write(&request->request, &stream_->stream, &rest, 1, [](uv_write_t* done, int result) {
      std::unique_ptr<WriteRequest> finished(reinterpret_cast<WriteRequest*>(done));
      auto* stream = static_cast<UvStream*>(done->data);
      if (stream->events) stream->events->on_written(result);
    });
    if (status < 0) {
      delete request;
      force_close(std::make_exception_ptr(std::system_error(uv_error_code(status), "write")));
      return;
    }
    ++writes_in_flight_;
    loop_.write_queued();
    limits_.grew(get_write_buffer_size(), parties());  // may call pause_writing() now (D-PROTO-2)
  }

  void write_eof() override {
    if (closing_ || eof_written_) return;
    if (kind_ == StreamKind::read_pipe) throw NotImplementedError("write_eof() on a read-pipe transport");
    if (kind_ == StreamKind::write_pipe) {
      close();  // a pipe says EOF by closing
      return;
    }
    eof_written_ = true;
    // libuv shuts the write half down once its queue has drained (TR-WRITE-EOF).
    auto request = new uv_shutdown_t{};
    request->data = stream_;
    int status = uv_shutdown(request, &stream_->stream, [](uv_shutdown_t* done, int result) {
      auto* stream = static_cast<UvStream*>(done->data);
      delete done;
      if (stream->events) stream->events->on_shutdown(result);
    });
    if (status < 0) {
      delete request;
      force_close(std::make_exception_ptr(std::system_error(uv_error_code(status), "shutdown")));
    }
  }
  bool can_write_eof() const override { return kind_ != StreamKind::read_pipe; }
  std::size_t get_write_buffer_size() const override {
    return stream_ ? uv_stream_get_write_queue_size(&stream_->stream) : 0;
  }
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    limits_.set(high, low);
    limits_.grew(get_write_buffer_size(), parties());
  }
  void abort() override { force_close(nullptr); }  // TR-ABORT

  // --- What libuv says (no user code here) ---------------------------------------------

  void on_read(ssize_t nread, const uv_buf_t* buffer) override {
    if (!reads()) {
      // A write pipe's end that libuv can read (a socketpair): the reader
      // went away. What is still queued can never be delivered: an error.
      if (nread >= 0) return;
      stop_reading();
      loop_.post([self = this->shared_from_this()] {
        self->force_close(self->writes_in_flight_ == 0
                              ? nullptr
                              : std::make_exception_ptr(std::system_error(uv_error_code(UV_EPIPE), "write")));
      });
      return;
    }
    if (nread > 0) {
      unread_.insert(unread_.end(), reinterpret_cast<std::byte*>(buffer->base),
                     reinterpret_cast<std::byte*>(buffer->base) + nread);
    } else if (nread == UV_EOF) {
      eof_seen_ = true;
      stop_reading();
    } else if (nread < 0) {
      read_error_ =
          std::make_exception_ptr(std::system_error(uv_error_code(static_cast<int>(nread)), "read"));
      stop_reading();
    }
    if (nread != 0) schedule_delivery();
  }

  void on_written(int status) override {
    --writes_in_flight_;
    loop_.write_done();
    if (status == UV_ECANCELED) return;  // the handle is closing
    if (status < 0) {
      auto error = std::make_exception_ptr(std::system_error(uv_error_code(status), "write"));
      loop_.post([self = this->shared_from_this(), error] { self->force_close(error); });
      return;
    }
    loop_.post([self = this->shared_from_this()] { self->writes_progressed(); });
  }

  void on_shutdown(int status) override {
    if (status >= 0 || status == UV_ECANCELED) return;
    auto error = std::make_exception_ptr(std::system_error(uv_error_code(status), "shutdown"));
    loop_.post([self = this->shared_from_this(), error] { self->force_close(error); });
  }

  void on_stream_gone() noexcept override {
    // The loop closed under the connection: nothing more will happen, and
    // close() or abort() must not schedule anything on the closed loop.
    stream_ = nullptr;
    closing_ = true;
    lost_scheduled_ = true;
  }

 private:
  bool reads() const noexcept { return kind_ != StreamKind::write_pipe; }

  WriteLimits::Parties parties() { return {loop_, this->shared_from_this(), protocol_}; }

  void make_connection(const Future<void>& waiter) {
    try {
      protocol_->connection_made(this->shared_from_this());  // PROTO-SEQ-CONNECTION-MADE-ONCE
    } catch (const std::exception&) {
      auto error = std::current_exception();
      fatal_error(error, "protocol.connection_made() failed");
      if (waiter.valid() && !waiter.done()) waiter.set_exception(error);
      return;
    }
    made_ = true;
    start_reading();
    if (waiter.valid() && !waiter.done()) waiter.set_result();
  }

  /// Reads the read half; on a write pipe libuv can read (the socketpair
  /// of a child's stdin), watches for the reader going away.
  void start_reading() {
    if (!made_ || closing_ || reading_paused_ || eof_seen_ || read_error_ || !stream_) return;
    if (!reads() && !uv_is_readable(&stream_->stream)) return;
    uv_read_start(
        &stream_->stream,
        [](uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
          auto& self = static_cast<UvStreamTransport&>(*UvStream::of(handle).events);
          *buffer = uv_buf_init(self.read_buffer_.data(), self.read_buffer_.size());
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
          UvStream::of(stream).events->on_read(nread, buffer);
        });
  }

  void stop_reading() {
    if (stream_) uv_read_stop(&stream_->stream);
  }

  void schedule_delivery() {
    if (delivery_scheduled_) return;
    delivery_scheduled_ = true;
    loop_.post([self = this->shared_from_this()] { self->deliver(); });
  }

  /// What was read, then the EOF or the error, to the protocol.
  void deliver() {
    delivery_scheduled_ = false;
    if (closing_ || reading_paused_) return;
    if (!unread_.empty()) {
      Bytes data = std::exchange(unread_, {});
      try {
        stream_protocol_->data_received(data);  // PROTO-DATA-NONEMPTY
      } catch (const std::exception&) {
        fatal_error(std::current_exception(), "protocol.data_received() failed");
        return;
      }
      if (closing_ || reading_paused_) return;  // the protocol paused or closed meanwhile
    }
    if (read_error_) {
      force_close(read_error_);
    } else if (eof_seen_ && !eof_delivered_) {
      eof_delivered_ = true;
      deliver_eof();
    }
  }

  void deliver_eof() {
    bool keep_open = false;
    try {
      keep_open = stream_protocol_->eof_received();  // PROTO-SEQ-EOF-AT-MOST-ONCE
    } catch (const std::exception&) {
      fatal_error(std::current_exception(), "protocol.eof_received() failed");
      return;
    }
    // PROTO-EOF-RETURN-FALSE-CLOSES. A read pipe has no write half to keep.
    if (!keep_open || kind_ == StreamKind::read_pipe) close();
  }

  void writes_progressed() {
    if (lost_scheduled_) return;
    limits_.shrank(get_write_buffer_size(), parties());  // resume_writing() may write, close or abort
    if (closing_ && writes_in_flight_ == 0 && !lost_scheduled_) schedule_connection_lost(nullptr);
  }

  /// A protocol's exception goes to the exception handler too; an OS
  /// error is the connection's fate, which connection_lost() tells.
  void fatal_error(std::exception_ptr error, const char* message) {
    loop_.report(message, error, this->shared_from_this(), protocol_);
    force_close(std::move(error));
  }

  void force_close(std::exception_ptr error) {
    if (lost_scheduled_) return;
    closing_ = true;
    stop_reading();
    schedule_connection_lost(std::move(error));
  }

  void schedule_connection_lost(std::exception_ptr error) {
    lost_scheduled_ = true;
    loop_.call_soon([self = this->shared_from_this(), error] { self->connection_lost(error); });
  }

  void connection_lost(std::exception_ptr error) {
    // The last call; then, whatever it threw, the handle is closed (with
    // what is still queued) and the protocol released (D-TR-1).
    std::exception_ptr failure;
    try {
      protocol_->connection_lost(error);  // PROTO-SEQ-CONNECTION-LOST-ONCE
    } catch (...) {
      failure = std::current_exception();
    }
    if (stream_) UvHandleOwner::close_handle(&stream_->handle);
    protocol_.reset();
    if (on_lost_) std::exchange(on_lost_, {})();
    if (failure) std::rethrow_exception(failure);
  }

  UvEventLoop& loop_;
  UvStream* stream_;  // null once libuv has freed it
  StreamKind kind_;
  std::shared_ptr<BaseProtocol> protocol_;  // held until connection_lost() returns
  Protocol* stream_protocol_;               // protocol_ as a Protocol, for the read half
  Callback on_lost_;
  std::map<std::string, std::any, std::less<>> extra_;
  WriteLimits limits_;
  std::array<char, kReadSize> read_buffer_{};
  Bytes unread_;  // read, not delivered yet
  std::exception_ptr read_error_;
  std::size_t writes_in_flight_ = 0;
  bool made_ = false;
  bool closing_ = false;
  bool lost_scheduled_ = false;
  bool reading_paused_ = false;
  bool delivery_scheduled_ = false;
  bool eof_seen_ = false;
  bool eof_delivered_ = false;
  bool eof_written_ = false;
};

template <class Interface>
std::shared_ptr<UvStreamTransport<Interface>> start_transport(UvEventLoop& loop, UvStreamPtr stream,
                                                              StreamKind kind,
                                                              std::shared_ptr<BaseProtocol> protocol,
                                                              Future<void> waiter, Callback on_lost) {
  auto transport = std::make_shared<UvStreamTransport<Interface>>(loop, std::move(stream), kind,
                                                                  std::move(protocol), std::move(on_lost));
  transport->start(std::move(waiter));
  return transport;
}

}  // namespace

std::shared_ptr<Transport> start_stream_transport(UvEventLoop& loop, UvStreamPtr stream, StreamKind kind,
                                                  std::shared_ptr<Protocol> protocol, Future<void> waiter,
                                                  Callback on_lost) {
  return start_transport<Transport>(loop, std::move(stream), kind, std::move(protocol), std::move(waiter),
                                    std::move(on_lost));
}

std::shared_ptr<WriteTransport> start_write_pipe_transport(UvEventLoop& loop, UvStreamPtr stream,
                                                           std::shared_ptr<BaseProtocol> protocol,
                                                           Future<void> waiter) {
  return start_transport<WriteTransport>(loop, std::move(stream), StreamKind::write_pipe, std::move(protocol),
                                         std::move(waiter), {});
}

}  // namespace loopcert_libuv
