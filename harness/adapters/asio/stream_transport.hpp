// StreamTransport and the pipe transports: PEP 3156's stream transport on
// an Asio stream, async_read_some() for reading, write_some() then
// async_write() for writing. One template for the three, so that sockets
// and pipes share the buffering, flow control, EOF and close semantics:
//
//   StreamTransport      an Asio socket (TCP, UNIX domain); write_eof() is
//                        shutdown()
//   ReadPipeTransport    posix::stream_descriptor, reads only (LOOP-PIPE-READ)
//   WritePipeTransport   posix::stream_descriptor, writes only, no read
//                        methods (LOOP-PIPE-WRITE); write_eof() closes it
//
// Every Asio completion goes to the loop's ready queue (call_soon) before
// it reaches the protocol: protocol code never runs inside io_context::run.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

#include "asio_event_loop.hpp"
#include "pep3156/event_loop.hpp"
#include "transport_core.hpp"

namespace loopcert_asio {

using StreamSocket = asio::generic::stream_protocol::socket;
using PipeDescriptor = asio::posix::stream_descriptor;

/// `Stream` is StreamSocket or PipeDescriptor; `Interface` is Transport
/// (sockets and read pipes) or WriteTransport (write pipes).
template <class Stream, class Interface>
class BasicStreamTransport : public Interface,
                             public TransportCore,
                             public std::enable_shared_from_this<BasicStreamTransport<Stream, Interface>> {
  static constexpr bool kSocket = std::is_same_v<Stream, StreamSocket>;
  static constexpr bool kReads = std::is_same_v<Interface, pep3156::Transport>;
  static_assert(kSocket ? kReads : std::is_same_v<Stream, PipeDescriptor>);

 public:
  /// Takes `stream` (connected, or a pipe's end), and calls the protocol's
  /// connection_made() from the ready queue; then completes `waiter` (if
  /// valid), with the protocol's exception if connection_made() threw.
  /// `on_lost` runs after connection_lost() (a Server counts its
  /// connections with it). TypeError unless a reading transport's protocol
  /// is a Protocol.
  static std::shared_ptr<BasicStreamTransport> start(AsioEventLoop& loop, Stream stream,
                                                     std::shared_ptr<pep3156::BaseProtocol> protocol,
                                                     pep3156::Future<void> waiter,
                                                     std::function<void()> on_lost = {});

  struct Private {};
  BasicStreamTransport(Private, AsioEventLoop& loop, Stream stream,
                       std::shared_ptr<pep3156::BaseProtocol> protocol, std::function<void()> on_lost);

  std::any get_extra_info(std::string_view name) const override { return extra_info(name); }
  void close() override;
  bool is_closing() const override { return closing_; }
  // ReadTransport's where Interface has it (a write pipe has not).
  void pause_reading();
  void resume_reading();
  using pep3156::WriteTransport::write;
  void write(pep3156::BytesView data) override;
  void writelines(std::span<const pep3156::BytesView> buffers) override;
  void write_eof() override;
  bool can_write_eof() const override { return kSocket || !kReads; }
  std::size_t get_write_buffer_size() const override;
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
  void abort() override;

  void release_io() noexcept override;

 protected:
  std::shared_ptr<pep3156::BaseTransport> self() override { return this->shared_from_this(); }
  void close_socket() noexcept override;
  void discard() noexcept override;
  void start_receiving() override;

 private:
  static constexpr bool kReadPipe = !kSocket && kReads;

  void on_read(asio::error_code error, std::size_t count);
  void read_eof();
  void watch_reader_gone();
  void start_writing();
  void on_written(asio::error_code error);
  void shutdown_write();
  void buffer_grew();
  void buffer_shrank();

  std::optional<Stream> stream_;        // empty once closed
  pep3156::Protocol* stream_protocol_;  // protocol_, as a stream protocol (null for a write pipe's)

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

using StreamTransport = BasicStreamTransport<StreamSocket, pep3156::Transport>;
using ReadPipeTransport = BasicStreamTransport<PipeDescriptor, pep3156::Transport>;
using WritePipeTransport = BasicStreamTransport<PipeDescriptor, pep3156::WriteTransport>;

extern template class BasicStreamTransport<StreamSocket, pep3156::Transport>;
extern template class BasicStreamTransport<PipeDescriptor, pep3156::Transport>;
extern template class BasicStreamTransport<PipeDescriptor, pep3156::WriteTransport>;

}  // namespace loopcert_asio
