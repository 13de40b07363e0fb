// LibevEventLoop: PEP 3156's event loop on libev 4 (libev-dev), one
// ev_loop_new() loop per pep3156 loop, on the backend the adapter asks for.
//
// BaseEventLoop (reference/include) runs the iterations and the ready
// queue; this class supplies steps 2 and 3 on libev's own primitives:
//   - waiting:   ev_run(EVRUN_ONCE / EVRUN_NOWAIT), one libev iteration;
//   - timers:    one ev_timer per call_at(), whose expiry hands the handle
//                to schedule_expired_timer();
//   - wake-up:   an ev_async (call_soon_threadsafe());
//   - fds:       one ev_io per fd and direction (add_reader/add_writer);
//   - signals:   one ev_signal per signal (add_signal_handler).
// No watcher callback runs user code: each only queues a Handle, so nothing
// the user gave us runs inside ev_run() and no exception crosses libev's C
// frames.
//
// libev has no sockets, streams or processes: LibevEventLoop gets them from
// ReadinessTransports, which run on the add_reader()/add_writer()/call_at()
// above, that is on libev's ev_io and ev_timer watchers.
#pragma once

#include <ev.h>

#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "pep3156/capabilities.hpp"
#include "reference/base_event_loop.hpp"
#include "reference/readiness_transports.hpp"

namespace loopcert_libev {

using pep3156::Callback;
using pep3156::Capabilities;
using pep3156::HandleState;
using pep3156::TimerHandle;

class LibevTimer;

/// The loop without networking: callbacks, timers, I/O callbacks, signals.
class LibevCoreLoop : public pep3156::reference::BaseEventLoop {
 public:
  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_signal_handler;
  using AbstractEventLoop::add_writer;
  using BaseEventLoop::call_at;

  /// A libev loop on exactly `backend` (EVBACKEND_EPOLL, _POLL or _SELECT);
  /// RuntimeError if libev cannot make one.
  explicit LibevCoreLoop(unsigned backend);
  ~LibevCoreLoop() override;

  // --- Timers: libev's ---------------------------------------------------------

  /// Arms an ev_timer that fires no earlier than time() == when.
  TimerHandle call_at(double when, Callback callback) override;

  // --- I/O callbacks ---------------------------------------------------------------

  void add_reader(int fd, Callback callback) override;
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;

  // --- Signals ----------------------------------------------------------------------

  /// ValueError for an invalid or uncatchable signal; RuntimeError if
  /// closed, off the main thread, or if another loop handles `sig`.
  void add_signal_handler(int sig, Callback callback) override;
  bool remove_signal_handler(int sig) override;

 private:
  friend class LibevTimer;

  /// One watched fd and direction, or one signal: the libev watcher and
  /// the Handle it queues each time it fires.
  template <class Watcher>
  struct Watch {
    Watcher watcher;
    std::shared_ptr<HandleState> handle;
  };
  using IoWatches = std::unordered_map<int, std::unique_ptr<Watch<ev_io>>>;

  void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake_up() noexcept override;
  void close_io() noexcept override;

  // libev's watcher callbacks. noexcept: they only queue Handles, and if
  // that ever threw (bad_alloc), unwinding through ev_run()'s C frames
  // would be undefined; terminating is not.
  static void on_timer(struct ev_loop* loop, ev_timer* watcher, int revents) noexcept;
  static void on_wake_up(struct ev_loop* loop, ev_async* watcher, int revents) noexcept;
  static void on_io(struct ev_loop* loop, ev_io* watcher, int revents) noexcept;
  static void on_signal(struct ev_loop* loop, ev_signal* watcher, int revents) noexcept;

  void disarm(LibevTimer& timer) noexcept;
  void watch(IoWatches& watches, int fd, int direction, Callback callback);
  bool unwatch(IoWatches& watches, int fd) noexcept;
  void forget_closed_fd(int fd);
  bool forget_closed_fds();
  bool remove_signal(int sig) noexcept;

  struct ev_loop* loop_;
  ev_async wake_up_watcher_;
  ev_timer wait_bound_;  // bounds a finite poll_for_io() wait
  std::unordered_map<LibevTimer*, std::shared_ptr<LibevTimer>> armed_timers_;
  IoWatches readers_;
  IoWatches writers_;
  std::vector<int> changed_fds_;  // fds whose watchers libev must tell the kernel about
  std::unordered_map<int, std::unique_ptr<Watch<ev_signal>>> signals_;
};

/// The complete loop: the core plus the readiness transports (networking,
/// UNIX sockets, pipes, subprocesses, TLS).
class LibevEventLoop final : public pep3156::reference::ReadinessTransports<LibevCoreLoop> {
 public:
  using ReadinessTransports::ReadinessTransports;
};

/// What every libev loop declares, the adapter and the loop alike.
Capabilities libev_capabilities();

}  // namespace loopcert_libev
