#include "reference/net/datagram_transport.hpp"

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

std::shared_ptr<DatagramSocketTransport> DatagramSocketTransport::start(
    AbstractEventLoop& loop, Socket sock, std::shared_ptr<DatagramProtocol> protocol,
    std::optional<SocketAddress> remote, Future<void> waiter) {
  auto transport = std::make_shared<DatagramSocketTransport>(Private{}, loop, std::move(sock),
                                                             std::move(protocol), std::move(remote));
  transport->SelectorTransport::start(std::move(waiter));
  return transport;
}

DatagramSocketTransport::DatagramSocketTransport(Private, AbstractEventLoop& loop, Socket sock,
                                                 std::shared_ptr<DatagramProtocol> protocol,
                                                 std::optional<SocketAddress> remote)
    : SelectorTransport(loop, std::move(sock), false, protocol, {}),
      datagram_protocol_(protocol.get()),
      remote_(std::move(remote)) {}

void DatagramSocketTransport::watch() {
  if (!closing_) loop_.add_reader(fd_.fd(), [self = self_ptr()] { self->read_ready(); });
}

void DatagramSocketTransport::read_ready() {
  if (closing_) return;
  auto keep_alive = self_ptr();
  std::span<std::byte> buffer = receive_buffer();
  SocketAddress sender;
  IoResult got = receive_datagram(fd_.fd(), buffer, sender);
  if (got.would_block()) return;
  if (got.error != 0) {
    error_received(got.error, "recvfrom");
    return;
  }
  // PROTO-DGRAM-RECEIVED; an empty datagram is a datagram too. An exception
  // goes to the loop's exception handler and the endpoint goes on.
  datagram_protocol_->datagram_received(BytesView(buffer.data(), got.count), sender);
}

void DatagramSocketTransport::error_received(int error, const char* what) {
  // Never from inside sendto(): protocols are not called re-entrantly.
  loop_.call_soon([self = self_ptr(), exception = os_error(error, what)] {
    if (self->protocol_) self->datagram_protocol_->error_received(exception);
  });
}

void DatagramSocketTransport::sendto(BytesView data, const std::optional<SocketAddress>& address) {
  if (address && remote_ && !(*address == *remote_)) {
    throw ValueError("sendto(): the endpoint is connected to " + remote_->to_string() + ", not " +
                     address->to_string());
  }
  if (!address && !remote_) throw ValueError("sendto(): an endpoint that is not connected needs an address");
  if (closing_) return;  // decision D-TR-2
  if (queue_.empty() && send_now(data, address)) return;

  bool was_empty = queue_.empty();
  queue_.push_back({Bytes(data.begin(), data.end()), address});
  queued_bytes_ += data.size();
  if (was_empty) loop_.add_writer(fd_.fd(), [self = self_ptr()] { self->write_ready(); });
  flow_.buffer_grew(queued_bytes_, parties());
}

bool DatagramSocketTransport::send_now(BytesView data, const std::optional<SocketAddress>& address) {
  IoResult sent = send_datagram(fd_.fd(), data, remote_ ? nullptr : &*address);
  if (sent.would_block()) return false;
  if (sent.error != 0) error_received(sent.error, "sendto");
  return true;
}

void DatagramSocketTransport::write_ready() {
  if (lost_scheduled_) return;
  auto keep_alive = self_ptr();
  while (!queue_.empty() && send_now(queue_.front().data, queue_.front().address)) {
    queued_bytes_ -= queue_.front().data.size();
    queue_.pop_front();
  }
  flow_.buffer_shrank(queued_bytes_, parties());
  if (!queue_.empty() || lost_scheduled_) return;
  loop_.remove_writer(fd_.fd());
  if (closing_) schedule_connection_lost(nullptr);
}

void DatagramSocketTransport::close() {
  if (closing_) return;
  closing_ = true;
  loop_.remove_reader(fd_.fd());
  if (queue_.empty()) schedule_connection_lost(nullptr);
}

void DatagramSocketTransport::abort() { force_close(nullptr); }  // TR-DGRAM-ABORT

void DatagramSocketTransport::discard_buffer() noexcept {
  queue_.clear();
  queued_bytes_ = 0;
}

}  // namespace pep3156::reference::net
