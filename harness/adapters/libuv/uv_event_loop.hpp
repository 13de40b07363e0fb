// UvEventLoop: pep3156::AbstractEventLoop on libuv's own loop.
//
// BaseEventLoop (reference/include/reference/base_event_loop.hpp) keeps the
// PEP's ready queue and runs every callback; this class supplies steps 2
// and 3 of an iteration on a uv_loop_t and everything the PEP waits on in
// libuv's own handles:
//
//   step 2 (wait)          uv_run(UV_RUN_ONCE), or UV_RUN_NOWAIT when a
//                          callback is ready; a finite wait is bounded by a
//                          uv_timer_t
//   call_at()              one uv_timer_t per timer
//   call_soon_threadsafe() uv_async_send() on the loop's uv_async_t
//   add_reader/_writer()   one uv_poll_t per fd, both directions
//   add_signal_handler()   one uv_signal_t per signal
//   networking             uv_tcp_t, uv_udp_t, uv_pipe_t, uv_spawn(),
//                          uv_getaddrinfo() (uv_*.cpp beside this file)
//
// No user code ever runs inside a libuv callback: each one only hands a
// Handle to schedule() or schedule_expired_timer(), and BaseEventLoop runs
// it from the ready queue (step 5). So no exception crosses libuv's C
// frames, and a callback may close the loop's handles freely.
//
// After handing something over, a libuv callback calls uv_stop(): libuv
// runs due timers *before* it computes how long to block (uv_run() in
// src/unix/core.c), so a timer that expires at the top of UV_RUN_ONCE
// would otherwise wait for the next I/O; a set stop flag makes
// uv_backend_timeout() zero.
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "pep3156/capabilities.hpp"
#include "reference/base_event_loop.hpp"

namespace loopcert_libuv {

using namespace pep3156;

class ArmedTimer;
class FdWatcher;
class SignalWatcher;

/// What the adapter declares, in one place: the Adapter's capabilities
/// field and the loop's capabilities() both return it.
Capabilities uv_capabilities() noexcept;

class UvEventLoop final : public reference::BaseEventLoop {
 public:
  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_signal_handler;
  using AbstractEventLoop::add_writer;
  using BaseEventLoop::call_at;

  UvEventLoop();
  ~UvEventLoop() override;

  uv_loop_t* uv() noexcept { return &loop_; }

  /// For libuv callbacks: `handle` runs in the next step 5, and the
  /// current uv_run() stops blocking.
  void schedule_from_uv(std::shared_ptr<HandleState> handle);
  /// For libuv callbacks that only need the current uv_run() to return.
  void end_wait() noexcept { uv_stop(&loop_); }
  /// For libuv callbacks: `action` runs in the next step 5 (where it may
  /// call protocols and resolve Futures).
  void post(Callback action) { schedule_from_uv(std::make_shared<HandleState>(std::move(action))); }
  /// Writes libuv has queued on this loop's streams: it makes them from
  /// inside uv_run(), which then holds SIGPIPE back (hold_back_sigpipe.hpp).
  void write_queued() noexcept { ++queued_writes_; }
  void write_done() noexcept { --queued_writes_; }

  /// Passes an error nobody awaits to the exception handler, with the
  /// parties involved.
  void report(const char* message, std::exception_ptr exception,
              std::shared_ptr<BaseTransport> transport = nullptr,
              std::shared_ptr<BaseProtocol> protocol = nullptr);

  // --- Timers: libuv's ------------------------------------------------------------

  /// A uv_timer_t due at `when` (rounded up to libuv's milliseconds).
  TimerHandle call_at(double when, Callback callback) override;

  // --- I/O callbacks: uv_poll_t ------------------------------------------------------

  void add_reader(int fd, Callback callback) override;
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;

  // --- Signals: uv_signal_t -------------------------------------------------------------

  void add_signal_handler(int sig, Callback callback) override;
  bool remove_signal_handler(int sig) override;

  // --- Networking (uv_*.cpp) -------------------------------------------------------------

  Future<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port,
                                            GetAddrInfoOptions options = {}) override;
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options = {}) override;
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options = {}) override;
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options = {}) override;
  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe) override;
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe) override;
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options = {}) override;
  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options = {}) override;
  Future<Bytes> sock_recv(int fd, std::size_t n) override;
  Future<void> sock_sendall(int fd, Bytes data) override;
  Future<void> sock_connect(int fd, SocketAddress address) override;
  Future<AcceptedSocket> sock_accept(int fd) override;

 private:
  friend class ArmedTimer;
  friend class FdWatcher;

  /// A libuv timer fired at or after its handle's deadline.
  void timer_expired(std::shared_ptr<TimerHandleState> timer);

  void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake_up() noexcept override;
  void close_io() noexcept override;

  void watch(int fd, bool readable, Callback callback);
  bool unwatch(int fd, bool readable);
  /// libuv hands a watcher's change to epoll_ctl() in the next uv_run(),
  /// and abort()s if that fails (uv__io_poll(), src/unix/linux-core.c):
  /// an fd closed behind the loop's back after add_reader() would kill the
  /// process. So the fds whose watchers changed are checked first, and a
  /// closed one is dropped, with a report to the exception handler. True
  /// if one was.
  bool forget_closed_fds();

  uv_loop_t loop_{};
  uv_async_t wake_up_{};     // call_soon_threadsafe()'s wake-up
  uv_timer_t wait_limit_{};  // bounds a finite wait of step 2
  std::size_t queued_writes_ = 0;
  std::unordered_map<int, FdWatcher*> fds_;          // owned by libuv until closed
  std::vector<int> fds_to_check_;                    // see forget_closed_fds()
  std::unordered_map<int, SignalWatcher*> signals_;  // likewise
};

}  // namespace loopcert_libuv
