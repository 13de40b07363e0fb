// StreamTransport: the one stream transport for every descriptor the loop
// streams over -- TCP and UNIX-domain sockets, the read end and the write
// end of a pipe (PEP 3156, "Bidirectional Stream Transports" and
// "Unidirectional Stream Transports"). One implementation, instantiated for
// the interface the descriptor offers: a write pipe's transport is a
// WriteTransport that "does not have any read-related methods"
// (LOOP-PIPE-WRITE), so it is not a ReadTransport at all.
//
// Built on the loop's public interface only, as asyncio's selector_events.py
// builds its transports: add_reader()/add_writer() for readiness, call_soon()
// for everything the protocol must hear later. Readable on its own: nothing
// here knows how the loop polls.
//
// The calling sequence the protocol sees, enforced here (PROTO-SEQ-ORDER):
//   connection_made   once, first, from a call_soon() scheduled by start()
//   data_received     only with non-empty data, never after close()
//   eof_received      at most once; false closes the transport, true keeps
//                     the write half open (a read pipe closes regardless)
//   connection_lost   once, last, always from a call_soon() or a readiness
//                     callback, never from inside close() or abort()
// pause_writing()/resume_writing() alternate in between; write() may call
// pause_writing() itself (decision D-PROTO-2). An exception a protocol
// throws from connection_made, data_received or eof_received aborts the
// connection: the loop's exception handler gets it, then connection_lost(it).
//
// Errors of the connection itself (ECONNRESET, EPIPE, ...) end it with
// connection_lost(std::system_error). The start and the end are
// SelectorTransport's.
//
// Lifetime (decision D-TR-1): while the loop watches the descriptor or has
// a callback scheduled, that registration holds the transport; the protocol
// holds it too if it keeps the pointer. A transport nobody holds any more
// (paused, idle and forgotten by its protocol) closes its descriptor when
// destroyed, without connection_lost(). Like a Future, a transport must not
// be used after its loop is destroyed.
//
// Stacking a layer (PEP 3153: "a protocol that is itself a transport"): TLS
// is a Protocol given to start() that implements Transport for the
// application's protocol above it; it reads with data_received(), writes
// with write(), and forwards pause_writing()/resume_writing(). start()'s
// `waiter` is for the layer that makes the connection: it is resolved once
// connection_made() has returned, or failed with what connection_made()
// threw.
#pragma once

#include <memory>

#include "pep3156/event_loop.hpp"
#include "reference/net/flow_control.hpp"
#include "reference/net/selector_transport.hpp"
#include "reference/net/write_buffer.hpp"

namespace pep3156::reference::net {

/// What the descriptor is, which decides the halves a StreamTransport has.
enum class StreamKind {
  socket,      // a connected stream socket: reads and writes; write_eof() is shutdown(SHUT_WR)
  read_pipe,   // the read end of a pipe: reads only
  write_pipe,  // the write end of a pipe: writes only; write_eof() closes it
};

/// `Interface` is Transport (sockets and read pipes) or WriteTransport (write
/// pipes); see the aliases below.
template <class Interface>
class BasicStreamTransport final : public Interface, public SelectorTransport {
  struct Private {};

 public:
  /// Takes over `fd` (non-blocking) and schedules connection_made(). The
  /// protocol must be a Protocol unless `kind` is write_pipe (TypeError);
  /// `kind` is write_pipe exactly when `Interface` is WriteTransport.
  /// `waiter`, if valid, is resolved once connection_made() has returned.
  /// `on_lost`, if given, runs once connection_lost() has returned (a
  /// Server counts its connections with it).
  static std::shared_ptr<BasicStreamTransport> start(AbstractEventLoop& loop, Socket fd, StreamKind kind,
                                                     std::shared_ptr<BaseProtocol> protocol,
                                                     Future<void> waiter = {}, Callback on_lost = {});

  BasicStreamTransport(Private, AbstractEventLoop& loop, Socket fd, StreamKind kind,
                       std::shared_ptr<BaseProtocol> protocol, Callback on_lost);

  // BaseTransport
  void close() override;
  // ReadTransport's, where Interface has it (no override keyword:
  // WriteTransport has no such method). A write pipe's are unreachable
  // through its interface, and do nothing.
  void pause_reading();
  void resume_reading();
  // WriteTransport
  void write(BytesView data) override;
  void writelines(std::span<const BytesView> buffers) override;
  void write_eof() override;
  bool can_write_eof() const override { return kind_ != StreamKind::read_pipe; }
  std::size_t get_write_buffer_size() const override { return buffer_.size(); }
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt) override;
  void abort() override;

  using WriteTransport::write;

 private:
  std::shared_ptr<BasicStreamTransport> self_ptr() {
    return std::static_pointer_cast<BasicStreamTransport>(shared_from_this());
  }
  bool reads() const noexcept { return kind_ != StreamKind::write_pipe; }
  void watch() override;
  void discard_buffer() noexcept override { buffer_.clear(); }
  void read_ready();
  void read_eof();
  void peer_closed_pipe();
  void write_ready();
  void shutdown_write();

  StreamKind kind_;
  bool fd_is_socket_;
  Protocol* stream_protocol_;  // protocol_ as a Protocol, for the read half
  WriteBuffer buffer_;
  WriteFlowControl flow_;
  bool reading_paused_ = false;  // pause_reading()
  bool eof_seen_ = false;        // the peer's EOF arrived: reading is over
  bool eof_written_ = false;     // write_eof() was called
};

/// Sockets and read pipes (a read pipe's write methods raise
/// NotImplementedError; the PEP forbids read methods on write pipes only).
using StreamTransport = BasicStreamTransport<Transport>;
/// Write pipes: a WriteTransport and nothing more.
using WritePipeTransport = BasicStreamTransport<WriteTransport>;

extern template class BasicStreamTransport<Transport>;
extern template class BasicStreamTransport<WriteTransport>;

}  // namespace pep3156::reference::net
