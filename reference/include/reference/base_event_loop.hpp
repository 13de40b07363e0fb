// BaseEventLoop: the half of an event loop that does not depend on how it
// waits for I/O (asyncio's base_events.BaseEventLoop): the ready queue,
// the timers, the lifecycle (run, stop, close), the thread-safe entry
// point, and run_callback(), the one place where callbacks are called.
//
// A loop kind derives from it and supplies steps 2 and 3 of an iteration
// (see README.md, "One iteration"): SelectorEventLoop waits on a Poller and
// turns ready fds into ready callbacks; a proactor loop (io_uring, IOCP)
// would wait for completions instead, reusing everything here.
//
// Threads: everything runs on the thread that runs the loop, except
// call_soon_threadsafe(), which any thread may call (LOOP-THREADSAFE-ONLY).
// In debug mode, call_soon() and call_at() from another thread while the
// loop runs raise RuntimeError, as asyncio's do.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "pep3156/event_loop.hpp"
#include "reference/ready_queue.hpp"
#include "reference/timer_queue.hpp"

namespace pep3156::reference {

class BaseEventLoop : public AbstractEventLoop {
 public:
  using AbstractEventLoop::call_at;
  using AbstractEventLoop::call_later;
  using AbstractEventLoop::call_soon;
  using AbstractEventLoop::call_soon_threadsafe;
  using AbstractEventLoop::run_until_complete;

  // --- Starting, stopping and closing ----------------------------------------

  /// Runs iterations until stop(). RuntimeError if closed or running.
  void run_forever() override;
  /// The callbacks already ready when the current iteration began still
  /// run; the loop then returns without polling again. Callbacks scheduled
  /// meanwhile wait for the next run. Before run_forever(): the next run
  /// does one iteration and returns.
  void stop() override;
  bool is_running() const override { return running_; }
  /// Drops every pending callback, releases the I/O resources and shuts
  /// the default executor down (waiting for its threads). Idempotent;
  /// RuntimeError while running. Every other method then raises
  /// RuntimeError, except the remove_*() methods, which return false.
  void close() override;
  bool is_closed() const override { return closed_; }

  // --- Callbacks -----------------------------------------------------------------

  Handle call_soon(Callback callback) override;
  /// ValueError if `when` is NaN.
  TimerHandle call_at(double when, Callback callback) override;
  /// std::chrono::steady_clock in seconds (monotonic, nanosecond ticks).
  double time() override;
  /// Any thread. Wakes the loop if it is blocked waiting for I/O.
  /// RuntimeError once the loop is closed.
  Handle call_soon_threadsafe(Callback callback) override;

  // --- Networking: the layer above ------------------------------------------------
  // The contract's networking primitives, which a loop's core does not
  // have: each raises NotImplementedError. SelectorEventLoop,
  // ProactorEventLoop (reference/full) and the adapters override them all.

  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options = {}) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options = {}) override;
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options = {}) override;
  Future<Bytes> sock_recv(int fd, std::size_t n) override;
  Future<void> sock_sendall(int fd, Bytes data) override;
  Future<void> sock_connect(int fd, SocketAddress address) override;
  Future<AcceptedSocket> sock_accept(int fd) override;

  /// Entries in the timer heap, cancelled ones not dropped yet included:
  /// for tests that check that lazy cancellation stays bounded.
  std::size_t timer_heap_size() const noexcept { return timers_.size(); }

 protected:
  BaseEventLoop() = default;

  /// Steps 2 and 3 of an iteration: wait for I/O for at most `timeout`
  /// (nullopt: until something happens; zero: just look), then schedule()
  /// the callbacks of what became ready.
  virtual void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) = 0;

  /// Makes a poll_for_io() that is blocked, or about to block, return.
  /// Called from any thread, never after close_io(), and only by the first
  /// post since the last take_threadsafe_callbacks(): one wake-up covers
  /// every post until then. So whenever the loop takes a wake-up back
  /// (drains the waker), it must call take_threadsafe_callbacks() after:
  /// the posts made since the last take have no wake-up of their own.
  virtual void wake_up() noexcept = 0;

  /// Releases what the I/O half holds (poller, fds, signal handlers).
  /// Called once, by close().
  virtual void close_io() noexcept = 0;

  /// Appends a handle to the ready queue: for the I/O half, whose fd and
  /// signal callbacks are Handles that run again each time they fire.
  void schedule(std::shared_ptr<HandleState> handle) { ready_.push_back(std::move(handle)); }

  /// For a loop whose timers are its library's (an adapter overrides
  /// call_at() to arm one): the library's expiry hands the handle here
  /// instead of running it. The timers that expire during one poll_for_io()
  /// join the ready queue in deadline order, whatever order the library
  /// fired them in (libuv fires two timers of one millisecond in the order
  /// they were started), and run in step 5 like every other callback.
  void schedule_expired_timer(std::shared_ptr<TimerHandleState> timer);

  /// Moves the callbacks other threads posted into the ready queue; false
  /// if there were none.
  bool take_threadsafe_callbacks();

  /// What a loop kind's destructor does: releases the tasks (a Task's
  /// frame may still talk to the loop), then closes the loop if close()
  /// was not called, reporting "unclosed event loop (on `waits_on`)" to
  /// the exception handler first in debug mode (asyncio's ResourceWarning).
  void close_at_destruction(std::string_view waits_on);

  /// Tells the exception handler, from the ready queue, that `fd` was
  /// closed while registered and its callbacks were dropped: whoever waited
  /// on it would otherwise wait forever.
  void report_closed_fd(int fd);

  /// RuntimeError naming `method` if the loop is closed.
  void check_open(const char* method) const;

  /// What call_at() checks before it arms a timer, the base's or a
  /// library's: the thread in debug mode, a closed loop, a NaN time.
  void check_call_at(double when) const;

  // The argument checks of the optional categories, the same for every
  // loop kind, whatever watches the fds and signals.

  /// ValueError for a negative fd (add_reader() and friends).
  static void check_fd(int fd);
  /// ValueError unless `sig` is a valid signal number that can be caught:
  /// not SIGKILL or SIGSTOP (D-SIG-1), nor one the C library reserves
  /// (LOOP-SIGNAL-VALUEERROR). POSIX only (src/check_signal.cpp): the
  /// Windows build has no signals.
  static void check_signal(int sig);
  /// RuntimeError naming `method` off the main thread: signals belong to
  /// the process, so only the main thread's loop handles them
  /// (LOOP-SIGNAL-RUNTIMEERROR, as in asyncio).
  static void check_main_thread(const char* method);

 private:
  void run_once();
  std::optional<std::chrono::nanoseconds> compute_timeout();
  void move_due_timers_to_ready();
  /// Appends the timers the library fired since the last call to the ready
  /// queue, in deadline order.
  void move_expired_timers_to_ready();
  void run_ready_callbacks();
  void run_callback(const std::shared_ptr<HandleState>& handle);
  void report_callback_exception(const std::shared_ptr<HandleState>& handle, std::exception_ptr exception);
  void report_slow_callback(const std::shared_ptr<HandleState>& handle, double seconds);
  void check_thread(const char* method) const;

  ReadyQueue ready_;
  TimerQueue timers_;
  std::vector<std::shared_ptr<TimerHandleState>> expired_;  // see schedule_expired_timer()
  bool expired_in_order_ = true;                            // expired_ needs no sort
  bool running_ = false;
  bool stopping_ = false;
  // The thread running the loop (no thread while stopped), for debug mode's
  // wrong-thread check, which reads it from other threads.
  std::atomic<std::thread::id> loop_thread_{};

  // What call_soon_threadsafe() shares with the loop's thread.
  std::mutex threadsafe_mutex_;
  std::vector<std::shared_ptr<HandleState>> threadsafe_;  // guarded by threadsafe_mutex_
  bool closed_ = false;  // written by the loop's thread under threadsafe_mutex_
  // Threads between posting and the end of their wake_up(), which they call
  // after releasing threadsafe_mutex_; close() waits for none to be left.
  std::atomic<int> waking_{0};
};

}  // namespace pep3156::reference
