#include "datagram_transport.hpp"

#include "os_error.hpp"

namespace loopcert_asio {

namespace {
constexpr std::size_t kLargestDatagram = 65536;

asio::generic::datagram_protocol::endpoint datagram_endpoint(const pep3156::SocketAddress& address) {
  return {address.data(), address.size()};
}
}  // namespace

std::shared_ptr<DatagramTransport> DatagramTransport::start(
    AsioEventLoop& loop, DatagramSocket socket, std::shared_ptr<pep3156::DatagramProtocol> protocol,
    std::optional<pep3156::SocketAddress> remote, pep3156::Future<void> waiter) {
  auto transport = std::make_shared<DatagramTransport>(Private{}, loop, std::move(socket),
                                                       std::move(protocol), std::move(remote));
  loop.track(transport);
  transport->TransportCore::start(std::move(waiter));
  return transport;
}

DatagramTransport::DatagramTransport(Private, AsioEventLoop& loop, DatagramSocket socket,
                                     std::shared_ptr<pep3156::DatagramProtocol> protocol,
                                     std::optional<pep3156::SocketAddress> remote)
    : TransportCore(loop, socket.native_handle(), protocol, {}),
      socket_(std::move(socket)),
      datagram_protocol_(protocol.get()),
      remote_(std::move(remote)),
      receive_buffer_(kLargestDatagram) {
  socket_->non_blocking(true);  // sendto() sends at once or queues, never blocks
}

// --- Receiving ------------------------------------------------------------------

void DatagramTransport::start_receiving() {
  if (closing_) return;
  socket_->async_receive_from(asio::buffer(receive_buffer_), sender_,
                              [self = shared_from_this()](const asio::error_code& error, std::size_t count) {
                                self->loop_.call_soon([self, error, count] { self->received(error, count); });
                              });
}

void DatagramTransport::received(asio::error_code error, std::size_t count) {
  if (closing_ || error == asio::error::operation_aborted) return;
  if (error) {
    error_received(error, "recvfrom");  // ECONNREFUSED on a connected endpoint
    start_receiving();
    return;
  }
  pep3156::SocketAddress sender(sender_.data(), static_cast<socklen_t>(sender_.size()));
  // The next receive is armed whatever the protocol does: an exception
  // goes on to the loop's exception handler, and the endpoint goes on.
  struct ReceiveNext {
    DatagramTransport& transport;
    ~ReceiveNext() { transport.start_receiving(); }
  } receive_next_after{*this};
  // PROTO-DGRAM-RECEIVED; an empty datagram is a datagram too.
  datagram_protocol_->datagram_received(pep3156::BytesView(receive_buffer_.data(), count), sender);
}

void DatagramTransport::error_received(const asio::error_code& error, const char* what) {
  // From the ready queue: never from inside sendto().
  loop_.call_soon([self = shared_from_this(), exception = std::make_exception_ptr(os_error(error, what))] {
    if (self->protocol_) self->datagram_protocol_->error_received(exception);
  });
}

// --- Sending --------------------------------------------------------------------

void DatagramTransport::sendto(pep3156::BytesView data,
                               const std::optional<pep3156::SocketAddress>& address) {
  if (address && remote_ && !(*address == *remote_)) {
    throw pep3156::ValueError("sendto(): the endpoint is connected to " + remote_->to_string() + ", not " +
                              address->to_string());
  }
  if (!address && !remote_)
    throw pep3156::ValueError("sendto(): an endpoint that is not connected needs an address");
  if (closing_) return;  // D-TR-2
  Datagram datagram{{data.begin(), data.end()}, remote_ ? std::nullopt : address};
  if (queue_.empty() && send_now(datagram)) return;
  queued_bytes_ += datagram.data.size();
  queue_.push_back(std::move(datagram));
  send_queued();
}

bool DatagramTransport::send_now(const Datagram& datagram) {
  asio::error_code error;
  if (datagram.address) {
    socket_->send_to(asio::buffer(datagram.data), datagram_endpoint(*datagram.address), 0, error);
  } else {
    socket_->send(asio::buffer(datagram.data), 0, error);
  }
  if (error == asio::error::would_block) return false;
  if (error) error_received(error, "sendto");
  return true;
}

void DatagramTransport::send_queued() {
  if (sending_ || queue_.empty()) return;
  sending_ = true;
  const Datagram& front = queue_.front();
  auto on_sent = [self = shared_from_this()](const asio::error_code& error, std::size_t) {
    self->loop_.call_soon([self, error] { self->sent(error); });
  };
  if (front.address) {
    socket_->async_send_to(asio::buffer(front.data), datagram_endpoint(*front.address), std::move(on_sent));
  } else {
    socket_->async_send(asio::buffer(front.data), std::move(on_sent));
  }
}

void DatagramTransport::sent(asio::error_code error) {
  sending_ = false;
  if (lost_scheduled_ || error == asio::error::operation_aborted) return;
  if (error) error_received(error, "sendto");
  queued_bytes_ -= queue_.front().data.size();
  queue_.pop_front();
  if (!queue_.empty()) {
    send_queued();
  } else if (closing_) {
    schedule_connection_lost(nullptr);  // TR-DGRAM-CLOSE: the queue has drained
  }
}

// --- Closing --------------------------------------------------------------------

void DatagramTransport::close() {
  if (closing_) return;
  closing_ = true;  // nothing more is received
  if (queue_.empty()) schedule_connection_lost(nullptr);
}

void DatagramTransport::discard() noexcept {
  // A send in flight keeps its buffer until it completes: only the
  // count is dropped here, the queue with the socket.
  queued_bytes_ = 0;
  asio::error_code ignored;
  if (socket_) socket_->cancel(ignored);
}

void DatagramTransport::release_io() noexcept {
  closing_ = true;
  lost_scheduled_ = true;
  released_ = true;
  socket_.reset();
}

}  // namespace loopcert_asio
