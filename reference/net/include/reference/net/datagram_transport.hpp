// DatagramSocketTransport: a UDP endpoint (PEP 3156, "Datagram Transports"
// and "Datagram Protocols").
//
// sendto() sends at once when nothing is queued and queues the datagram
// otherwise (or when the kernel's buffer is full), to be sent when the
// socket is writable. A failed send or receive (ECONNREFUSED after an ICMP
// port-unreachable on a connected endpoint, ...) is passed to
// error_received() from a call_soon(), and the endpoint stays open
// (PROTO-DGRAM-ERROR-RECEIVED). The protocol sees connection_made, then
// datagram_received and error_received any number of times, then
// connection_lost (PROTO-DGRAM-SEQ). The start and the end are
// SelectorTransport's.
#pragma once

#include <deque>
#include <memory>
#include <optional>

#include "pep3156/event_loop.hpp"
#include "reference/net/flow_control.hpp"
#include "reference/net/selector_transport.hpp"

namespace pep3156::reference::net {

class DatagramSocketTransport final : public DatagramTransport, public SelectorTransport {
  struct Private {};

 public:
  /// Takes over the (bound and/or connected) non-blocking datagram socket
  /// and schedules connection_made(); `waiter` is resolved once it has
  /// returned. `remote` is the address the socket is connected to, if any.
  static std::shared_ptr<DatagramSocketTransport> start(AbstractEventLoop& loop, Socket sock,
                                                        std::shared_ptr<DatagramProtocol> protocol,
                                                        std::optional<SocketAddress> remote,
                                                        Future<void> waiter);

  DatagramSocketTransport(Private, AbstractEventLoop& loop, Socket sock,
                          std::shared_ptr<DatagramProtocol> protocol, std::optional<SocketAddress> remote);

  /// ValueError for an address that is not the connected endpoint's remote
  /// address, or none on an endpoint that is not connected
  /// (TR-DGRAM-SENDTO-DEFAULT-ADDR). Ignored once closing.
  void sendto(BytesView data, const std::optional<SocketAddress>& address = std::nullopt) override;
  /// TR-DGRAM-CLOSE: what is queued is sent first.
  void close() override;
  void abort() override;
  std::size_t get_write_buffer_size() const override { return queued_bytes_; }

 private:
  struct Datagram {
    Bytes data;
    std::optional<SocketAddress> address;
  };

  std::shared_ptr<DatagramSocketTransport> self_ptr() {
    return std::static_pointer_cast<DatagramSocketTransport>(shared_from_this());
  }
  void watch() override;
  void discard_buffer() noexcept override;
  void read_ready();
  void write_ready();
  /// Sends one datagram now: true if sent, false if the socket is not ready
  /// (an error is passed to error_received() and counts as sent).
  bool send_now(BytesView data, const std::optional<SocketAddress>& address);
  void error_received(int error, const char* what);

  DatagramProtocol* datagram_protocol_;
  std::optional<SocketAddress> remote_;
  std::deque<Datagram> queue_;
  std::size_t queued_bytes_ = 0;
  WriteFlowControl flow_;
};

}  // namespace pep3156::reference::net
