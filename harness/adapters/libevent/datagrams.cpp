// create_datagram_endpoint(): a UDP socket, bound and/or connected, with a
// transport on two libevent events (libevent has no datagram API): one
// persistent EV_READ event while the endpoint is open, one EV_WRITE event
// while datagrams wait to be sent. As for streams, the events' callbacks
// only schedule a step; the protocol hears of it from the ready queue.
#include <sys/socket.h>

#include <deque>

#include "connection_start.hpp"
#include "libevent_event_loop.hpp"
#include "net_support.hpp"
#include "reference/net/datagram_candidates.hpp"

namespace pep3156::libevent_adapter {

namespace {

constexpr std::size_t kMaxDatagram = 64 * 1024;
constexpr int kDatagramsPerStep = 16;            // then the other callbacks get a turn
constexpr std::size_t kDefaultHigh = 64 * 1024;  // pause_writing() over this much queued
constexpr std::size_t kDefaultLow = kDefaultHigh / 4;

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

class EventDatagramTransport final : public DatagramTransport,
                                     public LoopResource,
                                     public std::enable_shared_from_this<EventDatagramTransport> {
  struct Private {};

 public:
  static std::shared_ptr<EventDatagramTransport> start(LibeventEventLoop& loop, Socket sock,
                                                       std::shared_ptr<DatagramProtocol> protocol,
                                                       std::optional<SocketAddress> remote,
                                                       Future<void> waiter) {
    auto transport = std::make_shared<EventDatagramTransport>(Private{}, loop, std::move(sock),
                                                              std::move(protocol), std::move(remote));
    transport->self_ = transport;
    loop.call_soon([transport, waiter] { transport->make_connection(waiter); });
    return transport;
  }

  EventDatagramTransport(Private, LibeventEventLoop& loop, Socket sock,
                         std::shared_ptr<DatagramProtocol> protocol, std::optional<SocketAddress> remote)
      : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)), remote_(std::move(remote)) {
    extra_["socket"] = sock_.fd();
    extra_["sockname"] = sock_.local_address();
    if (remote_) extra_["peername"] = *remote_;
    readable_.reset(event_new(loop.base(), sock_.fd(), EV_READ | EV_PERSIST, &on_readable, this));
    writable_.reset(event_new(loop.base(), sock_.fd(), EV_WRITE | EV_PERSIST, &on_writable, this));
    if (!readable_ || !writable_) throw RuntimeError("libevent: event_new() failed");
    loop_.attach(this);
  }
  ~EventDatagramTransport() override { release(); }

  std::any get_extra_info(std::string_view name) const override {
    auto it = extra_.find(std::string(name));
    return it == extra_.end() ? std::any() : it->second;  // TR-EXTRA-INFO-DEFAULT
  }
  using BaseTransport::get_extra_info;
  bool is_closing() const override { return closing_; }
  std::size_t get_write_buffer_size() const override { return queued_bytes_; }

  void sendto(BytesView data, const std::optional<SocketAddress>& address) override {
    if (address && remote_ && !(*address == *remote_)) {
      throw ValueError("sendto(): the endpoint is connected to " + remote_->to_string() + ", not " +
                       address->to_string());
    }
    if (!address && !remote_)
      throw ValueError("sendto(): an endpoint that is not connected needs an address");
    if (closing_) return;  // decision D-TR-2
    if (queue_.empty() && send_now(data, address)) return;
    queue_.push_back({Bytes(data.begin(), data.end()), address});
    queued_bytes_ += data.size();
    if (queue_.size() == 1) event_add(writable_.get(), nullptr);
    if (!protocol_paused_ && queued_bytes_ > kDefaultHigh) {
      protocol_paused_ = true;
      call_protocol("protocol.pause_writing() failed", [this] { protocol_->pause_writing(); });
    }
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    if (readable_) event_del(readable_.get());
    if (queue_.empty()) schedule_connection_lost(nullptr);  // else once the queue is sent
  }

  void abort() override { force_close(nullptr); }  // TR-DGRAM-ABORT

 private:
  struct Queued {
    Bytes data;
    std::optional<SocketAddress> address;
  };

  void make_connection(const Future<void>& waiter) {
    if (lost_scheduled_) return;
    try {
      protocol_->connection_made(shared_from_this());
    } catch (const std::exception&) {
      auto error = std::current_exception();
      report_error(loop_, "protocol.connection_made() failed", error, shared_from_this(), protocol_);
      force_close(error);
      if (waiter.valid() && !waiter.done()) waiter.set_exception(error);
      return;
    }
    if (!closing_ && readable_) event_add(readable_.get(), nullptr);
    if (waiter.valid() && !waiter.done()) waiter.set_result();
  }

  static void on_readable(evutil_socket_t, short, void* transport) {
    auto* self = static_cast<EventDatagramTransport*>(transport);
    if (std::exchange(self->read_scheduled_, true)) return;
    self->loop_.call_soon([self = self->shared_from_this()] {
      self->read_scheduled_ = false;
      self->read_ready();
    });
  }

  static void on_writable(evutil_socket_t, short, void* transport) {
    auto* self = static_cast<EventDatagramTransport*>(transport);
    if (std::exchange(self->write_scheduled_, true)) return;
    self->loop_.call_soon([self = self->shared_from_this()] {
      self->write_scheduled_ = false;
      self->write_ready();
    });
  }

  void read_ready() {
    for (int i = 0; i < kDatagramsPerStep && !closing_; ++i) {
      Bytes buffer(kMaxDatagram);
      sockaddr_storage sender{};
      socklen_t length = sizeof sender;
      ssize_t got = ::recvfrom(sock_.fd(), buffer.data(), buffer.size(), 0,
                               reinterpret_cast<sockaddr*>(&sender), &length);
      if (got < 0) {
        if (!would_block(errno)) error_received(errno, "recvfrom");
        return;
      }
      // PROTO-DGRAM-RECEIVED; an empty datagram is a datagram too. An
      // exception reaches the loop's exception handler; the endpoint goes on.
      protocol_->datagram_received(BytesView(buffer.data(), static_cast<std::size_t>(got)),
                                   SocketAddress(reinterpret_cast<sockaddr*>(&sender), length));
    }
  }

  /// True if the datagram is dealt with (sent, or failed and reported).
  bool send_now(BytesView data, const std::optional<SocketAddress>& address) {
    const sockaddr* to = remote_ ? nullptr : address->data();
    socklen_t to_length = remote_ ? 0 : address->size();
    ssize_t sent = ::sendto(sock_.fd(), data.data(), data.size(), MSG_NOSIGNAL, to, to_length);
    if (sent < 0 && would_block(errno)) return false;
    if (sent < 0) error_received(errno, "sendto");
    return true;
  }

  void write_ready() {
    if (lost_scheduled_) return;
    auto keep_alive = shared_from_this();
    while (!queue_.empty() && send_now(queue_.front().data, queue_.front().address)) {
      queued_bytes_ -= queue_.front().data.size();
      queue_.pop_front();
    }
    if (protocol_paused_ && queued_bytes_ <= kDefaultLow) {
      protocol_paused_ = false;
      call_protocol("protocol.resume_writing() failed", [this] { protocol_->resume_writing(); });
    }
    if (!queue_.empty() || lost_scheduled_) return;
    event_del(writable_.get());
    if (closing_) schedule_connection_lost(nullptr);
  }

  void error_received(int error, const char* what) {
    // Never from inside sendto(): protocols are not called re-entrantly.
    loop_.call_soon([self = shared_from_this(), exception = os_error(error, what)] {
      if (self->protocol_) self->protocol_->error_received(exception);
    });
  }

  template <class F>
  void call_protocol(const char* failure, F&& call) {
    try {
      call();
    } catch (const std::exception&) {
      report_error(loop_, failure, std::current_exception(), shared_from_this(), protocol_);
    }
  }

  void force_close(std::exception_ptr error) {
    if (lost_scheduled_) return;
    closing_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    schedule_connection_lost(std::move(error));
  }

  void schedule_connection_lost(std::exception_ptr error) {
    lost_scheduled_ = true;
    if (readable_) event_del(readable_.get());
    if (writable_) event_del(writable_.get());
    loop_.call_soon([self = shared_from_this(), error] {
      std::exception_ptr failure;
      try {
        self->protocol_->connection_lost(error);
      } catch (...) {
        failure = std::current_exception();
      }
      self->release();  // closes the socket, releases the protocol (D-TR-1)
      if (failure) std::rethrow_exception(failure);
    });
  }

  void release() noexcept override {
    if (!sock_) return;
    readable_.reset();
    writable_.reset();
    sock_.reset();
    protocol_.reset();
    loop_.detach(this);
    auto last = std::move(self_);  // may destroy this on return
  }

  LibeventEventLoop& loop_;
  Socket sock_;
  std::shared_ptr<DatagramProtocol> protocol_;
  std::optional<SocketAddress> remote_;
  std::map<std::string, std::any> extra_;
  EventPtr readable_;
  EventPtr writable_;
  std::shared_ptr<EventDatagramTransport> self_;  // until connection_lost() has returned
  std::deque<Queued> queue_;
  std::size_t queued_bytes_ = 0;
  bool protocol_paused_ = false;
  bool closing_ = false;
  bool lost_scheduled_ = false;
  bool read_scheduled_ = false;
  bool write_scheduled_ = false;
};

Coroutine<DatagramConnection> open_endpoint(LibeventEventLoop& loop, DatagramProtocolFactory factory,
                                            DatagramOptions options) {
  std::vector<reference::net::DatagramCandidate> tries =
      co_await reference::net::datagram_candidates(loop, std::move(options));
  reference::net::OpenedDatagramSocket opened = reference::net::open_first_datagram_socket(tries);
  // LOOP-DGRAM-FACTORY-ONCE: once, after the socket is ready.
  co_return co_await reference::net::start_protocol<DatagramConnection>(
      loop, std::move(factory), [&loop, &opened](auto protocol, auto waiter) {
        return EventDatagramTransport::start(loop, std::move(opened.sock), protocol, opened.remote, waiter);
      });
}

}  // namespace

Future<DatagramConnection> LibeventEventLoop::create_datagram_endpoint(DatagramProtocolFactory factory,
                                                                       DatagramOptions options) {
  // Argument errors are thrown here (decision D-TIER-3).
  check_open("create_datagram_endpoint()");
  reference::net::check_datagram_arguments(options);
  return create_task(open_endpoint(*this, std::move(factory), std::move(options)));
}

}  // namespace pep3156::libevent_adapter
