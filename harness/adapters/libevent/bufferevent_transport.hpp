// BuffereventTransport: the stream transport of the libevent loop, on a
// bufferevent -- TCP and UNIX-domain sockets, the read end and the write
// end of a pipe (a socket bufferevent reads and writes any descriptor).
// libevent moves the bytes between the descriptor and the bufferevent's two
// evbuffers; this class turns its callbacks into the PEP's protocol calls.
//
// No protocol method runs inside a libevent callback: the read, write and
// event callbacks only schedule a step with call_soon(), and the step, run
// from the ready queue, talks to the protocol. So no exception crosses
// libevent's frames, and the calling sequence is the PEP's
// (PROTO-SEQ-ORDER):
//   connection_made   once, first, from a call_soon() scheduled by start()
//   data_received     what the input evbuffer holds, never after close()
//                     and never while reading is paused (the bufferevent's
//                     reading is disabled then; what it read stays queued)
//   eof_received      once the input is delivered; false closes
//   connection_lost   once, last, from a call_soon()
// Errors of the descriptor (ECONNRESET, EPIPE) end the connection with
// connection_lost(std::system_error); a protocol's exception goes to the
// loop's exception handler and then to connection_lost().
//
// Flow control: write() appends to the output evbuffer (libevent writes it
// when the descriptor is writable); over the high water mark the protocol
// is paused. The bufferevent's write low watermark is the transport's low
// water mark, so libevent's write callback says when to resume it (and, at
// zero while closing, when the buffer has drained).
//
// Lifetime (D-TR-1): the transport holds itself until connection_lost()
// has returned; it then frees the bufferevent (closing the descriptor) and
// releases the protocol. Closing the loop frees the bufferevent at once.
#pragma once

#include <event2/bufferevent.h>

#include <map>
#include <memory>
#include <string>

#include "libevent_event_loop.hpp"

namespace pep3156::libevent_adapter {

/// Frees a socket bufferevent and closes its descriptor, now. Not
/// BEV_OPT_CLOSE_ON_FREE: libevent 2.1 finalizes a freed bufferevent from
/// its next loop iteration (bufferevent.c, bufferevent_decref_and_unlock_(),
/// event_callback_finalize_many_()), so the descriptor would stay open until
/// the loop runs again, and a peer waiting for EOF would wait for that.
/// bufferevent_free() deletes its events at once, so closing after it is safe.
struct BuffereventFree {
  void operator()(bufferevent* bev) const noexcept;
};
/// A socket bufferevent that owns its descriptor.
using BuffereventPtr = std::unique_ptr<bufferevent, BuffereventFree>;

/// A bufferevent owning `fd` (taken over), on the loop's base.
BuffereventPtr make_bufferevent(LibeventEventLoop& loop, Socket fd);

/// What the descriptor is, which decides the halves a transport has.
enum class StreamKind {
  socket,      // reads and writes; write_eof() is shutdown(SHUT_WR)
  read_pipe,   // reads only
  write_pipe,  // writes only; write_eof() closes it
};

/// `Interface` is Transport (sockets and read pipes) or WriteTransport
/// (write pipes: "no read-related methods", LOOP-PIPE-WRITE).
template <class Interface>
class BuffereventTransport final : public Interface,
                                   public LoopResource,
                                   public std::enable_shared_from_this<BuffereventTransport<Interface>> {
  struct Private {};

 public:
  /// Takes over `bev` and schedules connection_made(). The protocol must be
  /// a Protocol unless `kind` is write_pipe (TypeError). `waiter`, if
  /// valid, is resolved once connection_made() has returned (or failed with
  /// what it threw); `on_lost`, if given, runs once connection_lost() has.
  static std::shared_ptr<BuffereventTransport> start(LibeventEventLoop& loop, BuffereventPtr bev,
                                                     StreamKind kind, std::shared_ptr<BaseProtocol> protocol,
                                                     Future<void> waiter = {}, Callback on_lost = {});

  BuffereventTransport(Private, LibeventEventLoop& loop, BuffereventPtr bev, StreamKind kind,
                       std::shared_ptr<BaseProtocol> protocol, Callback on_lost);
  ~BuffereventTransport();

  // BaseTransport
  std::any get_extra_info(std::string_view name) const override;
  using BaseTransport::get_extra_info;
  void close() override;
  bool is_closing() const override { return closing_; }
  // ReadTransport's where Interface has it (a write pipe has not).
  void pause_reading();
  void resume_reading();
  // WriteTransport
  void write(BytesView data) override;
  using WriteTransport::write;
  void write_eof() override;
  bool can_write_eof() const override { return kind_ != StreamKind::read_pipe; }
  std::size_t get_write_buffer_size() const override;
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt) override;
  void abort() override;

 private:
  static constexpr std::size_t kDefaultHigh = 64 * 1024;

  bool reads() const noexcept { return kind_ != StreamKind::write_pipe; }
  void make_connection(const Future<void>& waiter);
  void enable_reading();
  // libevent's callbacks: each schedules a step, nothing more.
  static void on_read(bufferevent*, void* transport);
  static void on_write(bufferevent*, void* transport);
  static void on_event(bufferevent*, short what, void* transport);
  void schedule_delivery();
  void schedule_write_progress();
  // The steps, from the ready queue.
  void deliver();
  void write_progress();
  /// write() with nothing queued: what the kernel takes at once (`sent`);
  /// false after an error, which ends the connection.
  bool write_now(BytesView data, std::size_t& sent);
  void shutdown_write();
  void update_write_watermark();
  void maybe_pause_protocol();
  void fatal_error(std::exception_ptr error, const char* message);
  void force_close(std::exception_ptr error);
  void schedule_connection_lost(std::exception_ptr error);
  void call_connection_lost(std::exception_ptr error);
  void release() noexcept override;

  LibeventEventLoop& loop_;
  BuffereventPtr bev_;
  StreamKind kind_;
  std::shared_ptr<BaseProtocol> protocol_;  // held until connection_lost() returns (D-TR-1)
  Protocol* stream_protocol_;               // protocol_ as a Protocol, for the read half
  std::shared_ptr<BuffereventTransport> self_;
  Callback on_lost_;
  std::map<std::string, std::any, std::less<>> extra_;
  std::size_t high_ = kDefaultHigh;
  std::size_t low_ = kDefaultHigh / 4;
  bool protocol_paused_ = false;  // pause_writing() was called, resume_writing() not yet
  bool made_ = false;             // connection_made() has returned
  bool closing_ = false;          // close(), abort() or an error: no more reading, writes ignored
  bool lost_scheduled_ = false;   // connection_lost() is on its way; nothing else will happen
  bool reading_paused_ = false;   // pause_reading()
  bool eof_seen_ = false;         // libevent read the peer's EOF
  bool eof_delivered_ = false;    // eof_received() was called
  bool eof_written_ = false;      // write_eof() was called
  bool shut_down_ = false;        // shutdown(SHUT_WR) done
  bool delivery_scheduled_ = false;
  bool write_progress_scheduled_ = false;
  std::exception_ptr pending_error_;  // an error libevent reported, for after the data before it
};

using StreamTransport = BuffereventTransport<Transport>;
using WritePipeTransport = BuffereventTransport<WriteTransport>;

extern template class BuffereventTransport<Transport>;
extern template class BuffereventTransport<WriteTransport>;

}  // namespace pep3156::libevent_adapter
