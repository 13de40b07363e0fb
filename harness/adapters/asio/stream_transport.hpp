// StreamTransport: PEP 3156's bidirectional stream transport (TCP, UNIX
// domain) on an Asio socket: async_read_some() for reading, write_some()
// then async_write() for writing, shutdown() for write_eof().
//
// Every Asio completion goes to the loop's ready queue (call_soon) before
// it reaches the protocol: protocol code never runs inside io_context::run.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "asio_event_loop.hpp"
#include "pep3156/event_loop.hpp"
#include "transport_core.hpp"

namespace loopcert_asio {

using StreamSocket = asio::generic::stream_protocol::socket;

class StreamTransport : public pep3156::Transport,
                        public TransportCore,
                        public std::enable_shared_from_this<StreamTransport> {
 public:
  /// Takes `socket` (connected), and calls the protocol's connection_made()
  /// from the ready queue; then completes `waiter` (if valid), with the
  /// protocol's exception if connection_made() threw. `on_lost` runs after
  /// connection_lost() (a Server counts its connections with it).
  static std::shared_ptr<StreamTransport> start(AsioEventLoop& loop, StreamSocket socket,
                                                std::shared_ptr<pep3156::Protocol> protocol,
                                                pep3156::Future<void> waiter,
                                                std::function<void()> on_lost = {});

  struct Private {};
  StreamTransport(Private, AsioEventLoop& loop, StreamSocket socket,
                  std::shared_ptr<pep3156::Protocol> protocol, std::function<void()> on_lost);

  std::any get_extra_info(std::string_view name) const override;
  void close() override;
  bool is_closing() const override { return closing_; }
  void pause_reading() override;
  void resume_reading() override;
  using WriteTransport::write;
  void write(pep3156::BytesView data) override;
  void writelines(std::span<const pep3156::BytesView> buffers) override;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  std::size_t get_write_buffer_size() const override;
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
  void abort() override;

  void release_io() noexcept override;

 protected:
  std::shared_ptr<pep3156::BaseTransport> self() override { return shared_from_this(); }
  void close_socket() noexcept override;
  void discard() noexcept override;
  void start_receiving() override;

 private:
  void on_read(asio::error_code error, std::size_t count);
  void read_eof();
  void start_writing();
  void on_written(asio::error_code error);
  void shutdown_write();
  void buffer_grew();
  void buffer_shrank();

  std::optional<StreamSocket> socket_;  // empty once closed
  pep3156::Protocol* stream_protocol_;  // protocol_, as a stream protocol

  // Reading: one async_read_some() at a time into read_buffer_. Its
  // completion waits there while reading is paused (held_).
  std::vector<std::byte> read_buffer_;
  bool reading_ = false;
  bool reading_paused_ = false;
  bool eof_seen_ = false;
  struct Completion {
    asio::error_code error;
    std::size_t count;
  };
  std::optional<Completion> held_;

  // Writing: what write() could not send at once waits in pending_; one
  // async_write() at a time sends in_flight_.
  std::vector<std::byte> pending_;
  std::vector<std::byte> in_flight_;
  bool writing_ = false;
  bool eof_written_ = false;
  std::size_t high_water_ = 64 * 1024;
  std::size_t low_water_ = 16 * 1024;
  bool protocol_paused_ = false;
};

}  // namespace loopcert_asio
