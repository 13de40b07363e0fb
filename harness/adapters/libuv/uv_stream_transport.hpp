// UvStreamTransport: the PEP's stream transport on a libuv stream (a
// uv_tcp_t or a uv_pipe_t): uv_read_start() reads, uv_try_write() and
// uv_write() write, uv_shutdown() is write_eof(), and the write buffer is
// libuv's write queue (uv_stream_get_write_queue_size()).
//
// The protocol's calls follow the sequence the kit checks
// (PROTO-SEQ-ORDER): connection_made() once, first, from the ready queue;
// data_received() with non-empty data; eof_received() at most once;
// connection_lost() once, last, from the ready queue, never from inside
// close() or abort(). libuv's callbacks (read, write done, shutdown done)
// only record what happened and post() the protocol's call, so no
// exception crosses libuv's C frames. Data read while reading is paused
// stays here until resume_reading().
//
// Lifetime (D-TR-1): the libuv handle lives in a UvStream, which holds the
// transport while the handle is open; after connection_lost() the handle is
// closed, and libuv's close callback frees it.
#pragma once

#include <memory>

#include "uv_event_loop.hpp"
#include "uv_handle.hpp"

namespace loopcert_libuv {

class StreamEvents;

/// A libuv stream handle and, while it is open, the transport on it.
class UvStream final : public UvHandleOwner {
 public:
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  };
  std::shared_ptr<StreamEvents> events;  // the transport, once there is one

  UvStream() { handle.data = static_cast<UvHandleOwner*>(this); }
  /// Tells the transport that its handle is gone.
  ~UvStream() override;

  static UvStream& of(uv_handle_t* handle) {
    return *static_cast<UvStream*>(static_cast<UvHandleOwner*>(handle->data));
  }
  static UvStream& of(uv_stream_t* stream) { return of(reinterpret_cast<uv_handle_t*>(stream)); }
  int fd() const noexcept;
};

/// Closes a UvStream's handle, which frees it: the UvStream a connect()
/// or accept() has not handed to a transport yet.
struct CloseStream {
  void operator()(UvStream* stream) const noexcept { UvHandleOwner::close_handle(&stream->handle); }
};
using UvStreamPtr = std::unique_ptr<UvStream, CloseStream>;

/// What libuv tells a transport about its stream.
class StreamEvents {
 public:
  virtual ~StreamEvents() = default;
  virtual void on_read(ssize_t nread, const uv_buf_t* buffer) = 0;
  virtual void on_written(int status) = 0;
  virtual void on_shutdown(int status) = 0;
  /// The handle was closed and freed (the loop closed, or the transport
  /// closed it).
  virtual void on_stream_gone() noexcept = 0;
};

/// What the stream is, which decides the halves its transport has.
enum class StreamKind { socket, read_pipe, write_pipe };

/// Starts a transport on `stream` (already connected or opened) and
/// schedules connection_made(). `waiter`, if valid, is resolved once
/// connection_made() has returned (or failed with what it threw);
/// `on_lost`, if given, runs after connection_lost(). A write pipe's
/// transport is a WriteTransport only (LOOP-PIPE-WRITE).
std::shared_ptr<Transport> start_stream_transport(UvEventLoop& loop, UvStreamPtr stream, StreamKind kind,
                                                  std::shared_ptr<Protocol> protocol,
                                                  Future<void> waiter = {}, Callback on_lost = {});
std::shared_ptr<WriteTransport> start_write_pipe_transport(UvEventLoop& loop, UvStreamPtr stream,
                                                           std::shared_ptr<BaseProtocol> protocol,
                                                           Future<void> waiter = {});

}  // namespace loopcert_libuv
