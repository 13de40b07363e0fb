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

/// One way to make the endpoint: a family, and what to bind and connect.
struct Candidate {
  int family;
  int protocol;
  std::optional<SocketAddress> local;
  std::optional<SocketAddress> remote;
};

/// Every local and remote address pair of one family
/// (LOOP-DGRAM-ADDR-COMBINATIONS), or one side alone when only it is
/// asked for, or a bare socket of `family`.
std::vector<Candidate> candidates(const std::vector<AddrInfo>& locals, const std::vector<AddrInfo>& remotes,
                                  int family, int protocol) {
  std::vector<Candidate> result;
  if (locals.empty() && remotes.empty()) return {{family, protocol, {}, {}}};
  for (const AddrInfo& local : locals) {
    if (remotes.empty()) result.push_back({local.family, local.protocol, local.address, {}});
    for (const AddrInfo& remote : remotes) {
      if (local.family == remote.family)
        result.push_back({local.family, local.protocol, local.address, remote.address});
    }
  }
  if (locals.empty()) {
    for (const AddrInfo& remote : remotes)
      result.push_back({remote.family, remote.protocol, {}, remote.address});
  }
  return result;
}

Coroutine<DatagramConnection> open_endpoint(LibeventEventLoop& loop, DatagramProtocolFactory factory,
                                            DatagramOptions options) {
  // LOOP-DGRAM-GAI-OPTIONS: the socket type is always SOCK_DGRAM.
  GetAddrInfoOptions lookup{options.family, SOCK_DGRAM, options.proto, options.flags};
  std::vector<AddrInfo> locals;
  std::vector<AddrInfo> remotes;
  if (options.local_addr) {
    GetAddrInfoOptions passive = lookup;
    if (options.local_addr->host.empty()) passive.flags |= AI_PASSIVE;  // every interface
    locals = co_await resolve(loop, options.local_addr->host, options.local_addr->port, passive);
  }
  if (options.remote_addr) {
    remotes = co_await resolve(loop, options.remote_addr->host, options.remote_addr->port, lookup);
  }
  std::vector<Candidate> tries = candidates(locals, remotes, options.family, options.proto);
  if (tries.empty())
    throw ValueError("create_datagram_endpoint(): local_addr and remote_addr share no family");

  FailedAttempts failures;
  for (const Candidate& candidate : tries) {
    Socket sock;
    try {
      sock = open_socket(candidate.family, SOCK_DGRAM, candidate.protocol);
      if (candidate.local) bind_to(sock.fd(), *candidate.local);  // LOOP-DGRAM-LOCAL-ADDR
      if (candidate.remote)
        co_await loop.sock_connect(sock.fd(), *candidate.remote);  // LOOP-DGRAM-REMOTE-ADDR
    } catch (const std::system_error&) {
      failures.add(candidate.remote ? *candidate.remote : candidate.local.value_or(SocketAddress()),
                   std::current_exception());
      continue;
    }
    // LOOP-DGRAM-FACTORY-ONCE: once, after the socket is ready.
    std::shared_ptr<DatagramProtocol> protocol = make_protocol(factory);
    auto waiter = loop.create_future<void>();
    auto transport = EventDatagramTransport::start(loop, std::move(sock), protocol, candidate.remote, waiter);
    co_await connection_made(waiter, transport);
    co_return DatagramConnection{transport, protocol};
  }
  failures.raise("create_datagram_endpoint()");
}

}  // namespace

Future<DatagramConnection> LibeventEventLoop::create_datagram_endpoint(DatagramProtocolFactory factory,
                                                                       DatagramOptions options) {
  // Argument errors are thrown here (decision D-TIER-3).
  check_open("create_datagram_endpoint()");
  check_family(options.family, "create_datagram_endpoint()");
  if (!options.local_addr && !options.remote_addr && options.family == 0) {
    throw ValueError("create_datagram_endpoint(): a family, local_addr or remote_addr is required");
  }
  return create_task(open_endpoint(*this, std::move(factory), std::move(options)));
}

}  // namespace pep3156::libevent_adapter
