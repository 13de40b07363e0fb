// create_datagram_endpoint() on uv_udp_t: uv_udp_bind(), uv_udp_connect(),
// uv_udp_recv_start(), uv_udp_try_send() and, when the kernel's buffer is
// full, uv_udp_send(), whose queue is the write buffer.
//
// The protocol sees connection_made, then datagram_received and
// error_received any number of times, then connection_lost
// (PROTO-DGRAM-SEQ), each from the ready queue: libuv's callbacks only
// post() them. A failed send or receive (ECONNREFUSED after an ICMP
// port-unreachable on a connected endpoint) goes to error_received() and
// the endpoint stays open (PROTO-DGRAM-ERROR-RECEIVED).
#include <sys/socket.h>

#include <array>
#include <map>

#include "reference/net/datagram_candidates.hpp"
#include "uv_connection_setup.hpp"
#include "uv_write_limits.hpp"

namespace loopcert_libuv {

namespace {

class UvDatagramTransport;

/// The uv_udp_t and, while it is open, its transport.
class UvUdp final : public UvHandleOwner {
 public:
  uv_udp_t udp{};
  std::shared_ptr<UvDatagramTransport> transport;
  ~UvUdp() override;
  static UvUdp& of(uv_udp_t* udp) { return *static_cast<UvUdp*>(static_cast<UvHandleOwner*>(udp->data)); }
};

struct CloseUdp {
  void operator()(UvUdp* udp) const noexcept {
    UvHandleOwner::close_handle(reinterpret_cast<uv_handle_t*>(&udp->udp));
  }
};
using UvUdpPtr = std::unique_ptr<UvUdp, CloseUdp>;

/// A datagram libuv could not send at once: it needs the bytes until its callback.
struct SendRequest {
  uv_udp_send_t request{};
  Bytes data;
};

// The largest UDP payload: one receive buffer holds any datagram.
constexpr std::size_t kLargestDatagram = 65536;

class UvDatagramTransport final : public DatagramTransport,
                                  public std::enable_shared_from_this<UvDatagramTransport> {
 public:
  UvDatagramTransport(UvEventLoop& loop, UvUdpPtr udp, std::shared_ptr<DatagramProtocol> protocol,
                      std::optional<SocketAddress> remote)
      : loop_(loop), udp_(udp.release()), protocol_(std::move(protocol)), remote_(std::move(remote)) {
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&udp_->udp), &fd);
    extra_["socket"] = fd;
    sockaddr_storage storage{};
    int length = sizeof storage;
    if (uv_udp_getsockname(&udp_->udp, reinterpret_cast<sockaddr*>(&storage), &length) == 0) {
      extra_["sockname"] = SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
    }
    if (remote_) extra_["peername"] = *remote_;
  }

  void start(Future<void> waiter) {
    udp_->transport = shared_from_this();
    loop_.call_soon([self = shared_from_this(), waiter] { self->make_connection(waiter); });
  }

  std::any get_extra_info(std::string_view name) const override {
    auto it = extra_.find(name);
    return it == extra_.end() ? std::any() : it->second;  // TR-EXTRA-INFO-DEFAULT
  }
  using BaseTransport::get_extra_info;
  bool is_closing() const override { return closing_; }

  void sendto(BytesView data, const std::optional<SocketAddress>& address) override {
    if (address && remote_ && !(*address == *remote_)) {
      throw ValueError("sendto(): the endpoint is connected to " + remote_->to_string() + ", not " +
                       address->to_string());
    }
    if (!address && !remote_)
      throw ValueError("sendto(): an endpoint that is not connected needs an address");
    if (closing_ || !udp_) return;  // D-TR-2
    // A connected socket takes no address (libuv: UV_EISCONN).
    const sockaddr* to = remote_ ? nullptr : address->data();
    uv_buf_t now = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data.data())), data.size());
    int sent = uv_udp_try_send(&udp_->udp, &now, 1, to);  // UV_EAGAIN while sends are queued
    if (sent >= 0) return;
    if (sent != UV_EAGAIN) {
      error_received(sent, "sendto");
      return;
    }
    auto request = std::make_unique<SendRequest>();
    request->data.assign(data.begin(), data.end());
    request->request.data = udp_;
    uv_buf_t queued = uv_buf_init(reinterpret_cast<char*>(request->data.data()), request->data.size());
    int status =
        uv_udp_send(&request->request, &udp_->udp, &queued, 1, to, [](uv_udp_send_t* done, int result) {
          std::unique_ptr<SendRequest> finished(reinterpret_cast<SendRequest*>(done));
          auto* udp = static_cast<UvUdp*>(done->data);
          if (udp->transport) udp->transport->sent(result);
        });
    if (status < 0) {
      error_received(status, "sendto");
      return;
    }
    request.release();  // freed by its callback
    ++sends_in_flight_;
    limits_.grew(get_write_buffer_size(), parties());
  }

  std::size_t get_write_buffer_size() const override {
    return udp_ ? uv_udp_get_send_queue_size(&udp_->udp) : 0;
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    if (udp_) uv_udp_recv_stop(&udp_->udp);
    if (sends_in_flight_ == 0) schedule_connection_lost();  // else once the queue has drained
  }

  void abort() override {  // TR-DGRAM-ABORT
    closing_ = true;
    if (udp_) uv_udp_recv_stop(&udp_->udp);
    if (!lost_scheduled_) schedule_connection_lost();
  }

  /// The loop closed under the endpoint: nothing more will happen.
  void udp_gone() noexcept {
    udp_ = nullptr;
    closing_ = true;
    lost_scheduled_ = true;
  }

 private:
  WriteLimits::Parties parties() { return {loop_, shared_from_this(), protocol_}; }

  void make_connection(const Future<void>& waiter) {
    try {
      protocol_->connection_made(shared_from_this());
    } catch (const std::exception&) {
      auto error = std::current_exception();
      loop_.report("protocol.connection_made() failed", error, shared_from_this(), protocol_);
      abort();
      if (waiter.valid() && !waiter.done()) waiter.set_exception(error);
      return;
    }
    if (!closing_ && udp_)
      uv_udp_recv_start(&udp_->udp, &UvDatagramTransport::allocate, &UvDatagramTransport::received);
    if (waiter.valid() && !waiter.done()) waiter.set_result();
  }

  static void allocate(uv_handle_t* handle, std::size_t, uv_buf_t* buffer) {
    auto& self = *UvUdp::of(reinterpret_cast<uv_udp_t*>(handle)).transport;
    *buffer = uv_buf_init(self.receive_buffer_.data(), self.receive_buffer_.size());
  }

  static void received(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buffer, const sockaddr* sender,
                       unsigned) {
    auto& self = *UvUdp::of(udp).transport;
    if (nread < 0) {
      self.error_received(static_cast<int>(nread), "recvfrom");
      return;
    }
    if (sender == nullptr) return;  // nothing more to read now (libuv's nread == 0 without an address)
    // PROTO-DGRAM-RECEIVED; an empty datagram is a datagram too.
    SocketAddress from(sender, sender->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    Bytes datagram(reinterpret_cast<const std::byte*>(buffer->base),
                   reinterpret_cast<const std::byte*>(buffer->base) + nread);
    self.loop_.post([self = self.shared_from_this(), datagram = std::move(datagram), from] {
      // An exception goes to the loop's exception handler; the endpoint goes on.
      if (!self->closing_) self->protocol_->datagram_received(datagram, from);
    });
  }

  void sent(int status) {
    --sends_in_flight_;
    if (status == UV_ECANCELED) return;  // the handle is closing
    if (status < 0) error_received(status, "sendto");
    loop_.post([self = shared_from_this()] {
      if (self->lost_scheduled_) return;
      self->limits_.shrank(self->get_write_buffer_size(), self->parties());
      if (self->closing_ && self->sends_in_flight_ == 0 && !self->lost_scheduled_)
        self->schedule_connection_lost();
    });
  }

  /// Never from inside sendto(): protocols are not called re-entrantly.
  void error_received(int status, const char* what) {
    auto error = std::make_exception_ptr(std::system_error(uv_error_code(status), what));
    loop_.post([self = shared_from_this(), error] {
      if (!self->lost_scheduled_) self->protocol_->error_received(error);
    });
  }

  void schedule_connection_lost() {
    lost_scheduled_ = true;
    loop_.call_soon([self = shared_from_this()] { self->connection_lost(); });
  }

  void connection_lost() {
    std::exception_ptr failure;
    try {
      protocol_->connection_lost(nullptr);
    } catch (...) {
      failure = std::current_exception();
    }
    if (udp_) UvHandleOwner::close_handle(reinterpret_cast<uv_handle_t*>(&udp_->udp));
    protocol_.reset();
    if (failure) std::rethrow_exception(failure);
  }

  UvEventLoop& loop_;
  UvUdp* udp_;  // null once libuv has freed it
  std::shared_ptr<DatagramProtocol> protocol_;
  std::optional<SocketAddress> remote_;
  std::map<std::string, std::any, std::less<>> extra_;
  WriteLimits limits_;
  std::array<char, kLargestDatagram> receive_buffer_{};
  std::size_t sends_in_flight_ = 0;
  bool closing_ = false;
  bool lost_scheduled_ = false;
};

UvUdp::~UvUdp() {
  if (transport) transport->udp_gone();
}

/// A uv_udp_t made, bound and connected as `candidate` says.
UvUdpPtr open_udp(UvEventLoop& loop, const reference::net::DatagramCandidate& candidate) {
  auto fresh = std::make_unique<UvUdp>();
  fresh->udp.data = static_cast<UvHandleOwner*>(fresh.get());
  if (int status = uv_udp_init_ex(loop.uv(), &fresh->udp, candidate.family); status < 0) {
    throw_uv_error(status, "socket");
  }
  UvUdpPtr udp(fresh.release());
  if (candidate.local) {
    if (int status = uv_udp_bind(&udp->udp, candidate.local->data(), 0);
        status < 0) {  // LOOP-DGRAM-LOCAL-ADDR
      throw_uv_error(status, "bind(" + candidate.local->to_string() + ")");
    }
  }
  if (candidate.remote) {
    if (int status = uv_udp_connect(&udp->udp, candidate.remote->data());
        status < 0) {  // LOOP-DGRAM-REMOTE-ADDR
      throw_uv_error(status, "connect(" + candidate.remote->to_string() + ")");
    }
  }
  return udp;
}

Coroutine<DatagramConnection> open_endpoint(UvEventLoop& loop, DatagramProtocolFactory factory,
                                            DatagramOptions options) {
  std::vector<reference::net::DatagramCandidate> tries =
      co_await reference::net::datagram_candidates(loop, std::move(options));
  FailedAttempts failures;
  for (const reference::net::DatagramCandidate& candidate : tries) {
    UvUdpPtr udp;
    try {
      udp = open_udp(loop, candidate);
    } catch (const std::system_error&) {
      failures.add(candidate.attempted_address(), std::current_exception());
      continue;
    }
    // LOOP-DGRAM-FACTORY-ONCE: once, after the socket is ready.
    co_return co_await reference::net::start_protocol<DatagramConnection>(
        loop, std::move(factory), [&loop, &udp, &candidate](auto protocol, auto waiter) {
          auto transport =
              std::make_shared<UvDatagramTransport>(loop, std::move(udp), protocol, candidate.remote);
          transport->start(waiter);
          return transport;
        });
  }
  failures.raise("create_datagram_endpoint()");
}

}  // namespace

Future<DatagramConnection> UvEventLoop::create_datagram_endpoint(DatagramProtocolFactory factory,
                                                                 DatagramOptions options) {
  // Argument errors are thrown here (D-TIER-3).
  check_open("create_datagram_endpoint()");
  reference::net::check_datagram_arguments(options);
  return create_task(open_endpoint(*this, std::move(factory), std::move(options)));
}

}  // namespace loopcert_libuv
