// ProactorStreamTransport: ProactorEventLoop's transport for a connected
// stream socket (PEP 3156, "Bidirectional Stream Transports"), built as
// asyncio's proactor_events.py builds _ProactorSocketTransport: the reads
// and writes are proactor operations, not readiness callbacks.
//
//   - Reading: one receive is always in flight while the transport reads;
//     its completion hands the bytes to data_received() and submits the
//     next. pause_reading() cancels nothing: what the receive in flight
//     brings is held and delivered by resume_reading() (TR-PAUSE-READING,
//     TR-RESUME-READING), so no byte is lost and none arrives while paused.
//   - Writing: write() and writelines() queue the bytes (WriteBuffer) and,
//     unless a send is in flight, submit one gathering send operation of the
//     whole queue (PEP 3153's write_sequence). Bytes queued meanwhile wait
//     for its completion; flow control counts both (TR-GET-WRITE-BUFFER-SIZE).
//   - Closing: close() cancels the receive (TR-CLOSE-STOPS-READING) and lets
//     the sends drain (TR-CLOSE-FLUSHES); abort() and errors cancel every
//     operation (IORING_OP_ASYNC_CANCEL). Either way connection_lost() comes
//     once, from call_soon() (PROTO-SEQ-CONNECTION-LOST-ONCE).
//
// Buffers in flight belong to the kernel until their operation completes,
// cancelled ones included: each operation's completion holds its buffer
// and the transport, so neither goes away before the kernel is done, and a
// completion that arrives after the end is dropped.
//
// The start, the end, the extra info and the protocol-call rules are
// SelectorTransport's (reference/net), shared with the readiness transports.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "pep3156/event_loop.hpp"
#include "reference/net/flow_control.hpp"
#include "reference/net/selector_transport.hpp"
#include "reference/net/write_buffer.hpp"
#include "reference/proactor.hpp"

namespace pep3156::reference {

class ProactorStreamTransport final : public Transport, public net::SelectorTransport {
  struct Private {};

 public:
  /// Takes over connected stream socket `fd` (non-blocking) and schedules
  /// connection_made(); `waiter` and `on_lost` as for net::StreamTransport.
  /// TypeError unless `protocol` is a Protocol.
  static std::shared_ptr<ProactorStreamTransport> start(AbstractEventLoop& loop, Proactor& proactor,
                                                        Socket fd, std::shared_ptr<BaseProtocol> protocol,
                                                        Future<void> waiter = {}, Callback on_lost = {});

  ProactorStreamTransport(Private, AbstractEventLoop& loop, Proactor& proactor, Socket fd,
                          std::shared_ptr<BaseProtocol> protocol, Callback on_lost);

  // BaseTransport
  void close() override;
  // ReadTransport
  void pause_reading() override;
  void resume_reading() override;
  // WriteTransport
  void write(BytesView data) override;
  void writelines(std::span<const BytesView> buffers) override;
  void write_eof() override;
  bool can_write_eof() const override { return true; }
  std::size_t get_write_buffer_size() const override;
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt) override;
  void abort() override;

  using WriteTransport::write;

 private:
  /// A send in flight: the bytes it gathers, which the kernel reads until
  /// the completion.
  struct Send {
    net::WriteBuffer bytes;
  };

  std::shared_ptr<ProactorStreamTransport> self_ptr() {
    return std::static_pointer_cast<ProactorStreamTransport>(shared_from_this());
  }
  void watch() override;
  void discard_buffer() noexcept override;
  void cancel(OperationId& operation) noexcept;

  void submit_receive();
  void received(int result);
  void deliver(std::size_t count);
  void read_eof();

  void submit_send();
  void sent(int result);
  void shutdown_write();

  Proactor& proactor_;
  Protocol* stream_protocol_;        // protocol_ as a Protocol
  Bytes receive_buffer_;             // the kernel's while a receive is in flight
  OperationId receiving_ = 0;        // the receive (or its readiness poll) in flight
  std::optional<std::size_t> held_;  // bytes received while paused, for resume_reading()
  std::shared_ptr<Send> sending_;    // the send in flight, if any
  OperationId send_operation_ = 0;   // its operation (or readiness poll)
  net::WriteBuffer buffer_;          // written since that send was submitted
  net::WriteFlowControl flow_;
  bool reading_paused_ = false;
  bool eof_seen_ = false;
  bool eof_written_ = false;
};

}  // namespace pep3156::reference
