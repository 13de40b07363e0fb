// DatagramTransport: PEP 3156's datagram transport on an Asio datagram
// socket: async_receive_from() for receiving, send_to()/send() then
// async_send_to()/async_send() for what would block.
#pragma once

#include <asio/generic/datagram_protocol.hpp>
#include <deque>
#include <optional>
#include <vector>

#include "transport_core.hpp"

namespace loopcert_asio {

using DatagramSocket = asio::generic::datagram_protocol::socket;

class DatagramTransport : public pep3156::DatagramTransport,
                          public TransportCore,
                          public std::enable_shared_from_this<DatagramTransport> {
 public:
  /// Takes `socket` (bound and/or connected to `remote`), and calls the
  /// protocol's connection_made() from the ready queue; then completes
  /// `waiter`.
  static std::shared_ptr<DatagramTransport> start(AsioEventLoop& loop, DatagramSocket socket,
                                                  std::shared_ptr<pep3156::DatagramProtocol> protocol,
                                                  std::optional<pep3156::SocketAddress> remote,
                                                  pep3156::Future<void> waiter);

  struct Private {};
  DatagramTransport(Private, AsioEventLoop& loop, DatagramSocket socket,
                    std::shared_ptr<pep3156::DatagramProtocol> protocol,
                    std::optional<pep3156::SocketAddress> remote);

  std::any get_extra_info(std::string_view name) const override { return extra_info(name); }
  void close() override;
  bool is_closing() const override { return closing_; }
  void sendto(pep3156::BytesView data, const std::optional<pep3156::SocketAddress>& address) override;
  void abort() override { force_close(nullptr); }  // TR-DGRAM-ABORT
  std::size_t get_write_buffer_size() const override { return queued_bytes_; }

  void release_io() noexcept override;

 protected:
  std::shared_ptr<pep3156::BaseTransport> self() override { return shared_from_this(); }
  void close_socket() noexcept override { socket_.reset(); }
  void discard() noexcept override;
  void start_receiving() override;

 private:
  struct Datagram {
    std::vector<std::byte> data;
    std::optional<pep3156::SocketAddress> address;  // none on a connected endpoint
  };

  void received(asio::error_code error, std::size_t count);
  /// Sends now; false if the socket would block.
  bool send_now(const Datagram& datagram);
  void send_queued();
  void sent(asio::error_code error);
  void error_received(const asio::error_code& error, const char* what);

  std::optional<DatagramSocket> socket_;
  pep3156::DatagramProtocol* datagram_protocol_;
  std::optional<pep3156::SocketAddress> remote_;
  std::vector<std::byte> receive_buffer_;
  asio::generic::datagram_protocol::endpoint sender_;
  std::deque<Datagram> queue_;  // what would have blocked, in order
  std::size_t queued_bytes_ = 0;
  bool sending_ = false;  // an async send of queue_.front() is pending
};

}  // namespace loopcert_asio
