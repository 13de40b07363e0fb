// BaseEventLoop: one iteration of the loop, and everything around it that
// every loop kind shares. README.md, "One iteration", tells the same story
// in prose, step by step.
#include "reference/base_event_loop.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

#include "pep3156/exception_context.hpp"
#include "pep3156/policy.hpp"
#include "per_thread_recycling_allocator.hpp"

namespace pep3156::reference {

using std::chrono::nanoseconds;

// --- One iteration ------------------------------------------------------------

// Steps 2 and 3 belong to the loop kind (poll_for_io); the others are here.
void BaseEventLoop::run_once() {
  // Step 1: how long may we wait for I/O? Not at all if a callback is
  // ready or stop() was called; until the earliest timer if there is one;
  // otherwise until an fd becomes ready.
  std::optional<nanoseconds> timeout = compute_timeout();

  // Steps 2 and 3: wait for I/O, then queue the callbacks of the fds (and
  // signals, and other threads' posts) that became ready.
  poll_for_io(timeout);

  // Step 4: timers whose deadline has passed join the ready queue.
  move_due_timers_to_ready();

  // Step 5: run the callbacks that are ready now, and only those.
  run_ready_callbacks();
}

std::optional<nanoseconds> BaseEventLoop::compute_timeout() {
  // LOOP-CALLSOON-SCHEDULES: a ready callback must not wait for I/O.
  // LOOP-STOP-NO-POLL-NO-FUTURE-TIMERS: a stopping loop only looks.
  if (!ready_.empty() || stopping_) return nanoseconds::zero();
  std::optional<double> earliest = timers_.earliest_deadline();
  if (!earliest) return std::nullopt;
  // Rounded UP to the nanosecond, so the wait does not end just before the
  // deadline and cost an extra iteration. A day at most: beyond that, the
  // loop wakes, finds nothing due and waits again.
  double seconds = std::clamp(*earliest - time(), 0.0, 24 * 3600.0);
  return nanoseconds(static_cast<nanoseconds::rep>(std::ceil(seconds * 1e9)));
}

void BaseEventLoop::move_expired_timers_to_ready() {
  // Earliest deadline first, as the heap gives the loop's own timers; a
  // stable sort keeps the library's order among timers of the same
  // deadline, which the PEP leaves open (LOOP-CALLLATER-SAME-TIME-UNORDERED).
  // Sorted once here, and only when one came out of order (libev and Asio
  // fire in order; libuv fires a millisecond's timers in start order).
  if (!expired_in_order_) std::ranges::stable_sort(expired_, {}, &TimerHandleState::when);
  expired_in_order_ = true;
  for (auto& timer : expired_) ready_.push_back(std::move(timer));
  expired_.clear();  // keeps its capacity for the next poll
}

void BaseEventLoop::move_due_timers_to_ready() {
  move_expired_timers_to_ready();  // a library's timers
  // LOOP-CALLLATER-ONCE: a timer is due when time() has reached its
  // deadline, with no tolerance, so no timer ever runs early (asyncio
  // grants a clock-resolution tolerance; we need none).
  if (timers_.empty()) return;  // and then no need to read the clock
  double now = time();
  while (std::shared_ptr<HandleState> timer = timers_.pop_due(now)) ready_.push_back(std::move(timer));
}

void BaseEventLoop::run_ready_callbacks() {
  // LOOP-STOP-READYQ-FREEDOM: exactly the callbacks ready when this step
  // begins run, so a callback that schedules another (or itself) cannot
  // keep the loop here forever, and stop() takes effect after this batch.
  // LOOP-CALLSOON-FIFO: in the order they were scheduled.
  for (std::size_t count = ready_.size(); count > 0; --count) run_callback(ready_.pop_front());
}

// The only place where callbacks are called. One at a time, each to its
// end before the next (LOOP-CALLBACKS-SERIALIZED).
void BaseEventLoop::run_callback(const std::shared_ptr<HandleState>& handle) {
  if (handle->cancelled()) return;
  bool debug = get_debug();
  double started = debug ? time() : 0.0;
  try {
    handle->run();
  } catch (const std::exception&) {
    // LOOP-ERR-CALLBACK-EXC-LOGGED: reported, and the loop goes on. A
    // pep3156::BaseException is not a std::exception: it propagates out of
    // run_forever() (LOOP-ERR-BASEEXCEPTION), and the callbacks still
    // queued wait for the next run.
    report_callback_exception(handle, std::current_exception());
  }
  if (debug) report_slow_callback(handle, time() - started);
}

void BaseEventLoop::report_callback_exception(const std::shared_ptr<HandleState>& handle,
                                              std::exception_ptr exception) {
  ExceptionContext context;
  context.message = "Exception in callback";
  context.exception = std::move(exception);
  context.handle = Handle(handle);
  call_exception_handler(context);
}

void BaseEventLoop::report_slow_callback(const std::shared_ptr<HandleState>& handle, double seconds) {
  // LOOP-DEBUG-SLOW-CALLBACK, reported like asyncio's "Executing <Handle>
  // took 0.123 seconds", but through the exception handler so that a
  // program (or a test) can see it.
  if (seconds < slow_callback_duration) return;
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f", seconds);
  ExceptionContext context;
  context.message = std::string("Executing a callback took ") + duration + " seconds";
  context.handle = Handle(handle);
  context.extra["duration"] = duration;
  call_exception_handler(context);
}

// --- Starting, stopping and closing -----------------------------------------------

void BaseEventLoop::run_forever() {
  check_open("run_forever()");
  if (running_) throw RuntimeError("run_forever(): the event loop is already running");
  running_ = true;
  loop_thread_ = std::this_thread::get_id();
  // However the run ends, by stop() or by an exception out of a callback,
  // the loop is left stopped and restartable, with no stop() pending that
  // would cut the next run short (LOOP-STOP-RESTARTABLE).
  struct EndOfRun {
    BaseEventLoop& loop;
    ~EndOfRun() {
      loop.running_ = false;
      loop.stopping_ = false;
      loop.loop_thread_ = std::thread::id();
    }
  } end_of_run{*this};
  do {
    run_once();
  } while (!stopping_);  // LOOP-RUNFOREVER-UNTIL-STOP
}

void BaseEventLoop::stop() { stopping_ = true; }  // LOOP-STOP-RETURNS-NORMALLY

void BaseEventLoop::close() {
  if (running_) throw RuntimeError("close(): the event loop is running");
  if (closed_) return;  // LOOP-CLOSE-IDEMPOTENT
  std::vector<std::shared_ptr<HandleState>> posted;
  {
    // From here on call_soon_threadsafe() refuses, so no new thread can
    // enter wake_up().
    std::lock_guard lock(threadsafe_mutex_);
    closed_ = true;
    posted.swap(threadsafe_);
  }
  // A thread that posted before may still be in wake_up(), one write()
  // long: close_io() must not release the waker under it.
  while (waking_ > 0) std::this_thread::yield();
  ready_.clear();
  timers_.clear();
  expired_.clear();
  expired_in_order_ = true;
  close_io();
  shutdown_default_executor();  // LOOP-CLOSE-RELEASES
}

void BaseEventLoop::close_at_destruction(std::string_view waits_on) {
  release_tasks();
  if (is_closed()) return;
  if (get_debug()) {
    ExceptionContext context;
    context.message = "unclosed event loop (on " + std::string(waits_on) + "): call close()";
    call_exception_handler(context);
  }
  close();
}

void BaseEventLoop::report_closed_fd(int fd) {
  // Through the ready queue, so that no user code runs outside step 5.
  call_soon([this, fd] {
    ExceptionContext context;
    context.message = "fd " + std::to_string(fd) +
                      " was closed while registered with the event loop; its callbacks were removed";
    context.exception =
        std::make_exception_ptr(std::system_error(EBADF, std::generic_category(), context.message));
    context.socket = fd;
    call_exception_handler(context);
  });
}

void BaseEventLoop::check_open(const char* method) const {
  if (closed_) throw RuntimeError(std::string(method) + ": the event loop is closed");
}

void BaseEventLoop::check_fd(int fd) {
  if (fd < 0) throw ValueError("invalid file descriptor " + std::to_string(fd));
}

void BaseEventLoop::check_main_thread(const char* method) {
  if (!is_main_thread())
    throw RuntimeError(std::string(method) + ": signals are handled on the main thread only");
}

// --- Networking: the layer above --------------------------------------------------

namespace {
[[noreturn]] void no_networking(const char* method) {
  throw NotImplementedError(
      std::string(method) +
      ": this loop's core has no networking; use SelectorEventLoop or ProactorEventLoop "
      "(reference/full)");
}
}  // namespace

Future<StreamConnection> BaseEventLoop::create_connection(ProtocolFactory, std::string, std::uint16_t,
                                                          ConnectionOptions) {
  no_networking("create_connection()");
}

Future<std::shared_ptr<Server>> BaseEventLoop::create_server(ProtocolFactory, std::string, std::uint16_t,
                                                             ServerOptions) {
  no_networking("create_server()");
}

Future<DatagramConnection> BaseEventLoop::create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) {
  no_networking("create_datagram_endpoint()");
}

Future<Bytes> BaseEventLoop::sock_recv(int, std::size_t) { no_networking("sock_recv()"); }
Future<void> BaseEventLoop::sock_sendall(int, Bytes) { no_networking("sock_sendall()"); }
Future<void> BaseEventLoop::sock_connect(int, SocketAddress) { no_networking("sock_connect()"); }
Future<AcceptedSocket> BaseEventLoop::sock_accept(int) { no_networking("sock_accept()"); }

// --- Callbacks -------------------------------------------------------------------

Handle BaseEventLoop::call_soon(Callback callback) {
  check_thread("call_soon()");
  check_open("call_soon()");
  auto handle = make_recycled<HandleState>(std::move(callback));
  ready_.push_back(handle);
  return Handle(std::move(handle));
}

TimerHandle BaseEventLoop::call_at(double when, Callback callback) {
  check_call_at(when);
  return timers_.push(when, std::move(callback));
}

void BaseEventLoop::check_call_at(double when) const {
  check_thread("call_at()");
  check_open("call_at()");
  if (std::isnan(when)) throw ValueError("call_at(): the time is NaN");
}

double BaseEventLoop::time() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Handle BaseEventLoop::call_soon_threadsafe(Callback callback) {
  // LOOP-CALLSOON-FIFO: it is "like call_soon()". From the thread running
  // the loop it is call_soon(), so that its callback keeps its place among
  // that thread's call_soon()s instead of waiting for the next poll.
  if (loop_thread_.load() == std::this_thread::get_id()) return call_soon(std::move(callback));
  auto handle = make_recycled<HandleState>(std::move(callback));
  bool first_post;
  {
    std::lock_guard lock(threadsafe_mutex_);
    if (closed_) throw RuntimeError("call_soon_threadsafe(): the event loop is closed");
    threadsafe_.push_back(handle);
    // LOOP-THREADSAFE-WAKEUP. Only the first post since the loop last took
    // the queue wakes it: that wake-up is still pending for the others.
    first_post = threadsafe_.size() == 1;
    if (first_post) ++waking_;  // under the mutex, so that close() sees it
  }
  // After the mutex: the loop, woken at once, takes the queue under that
  // mutex, and would otherwise wait for this thread to leave wake_up().
  // Measured (bench wake_up p50, 2-core VM, interleaved runs): waking
  // under the mutex took 3.4 -> 12.1 us; waking after it but draining the
  // waker before taking the posts (asyncio's order), 3.3 -> 5.8 us. Hence
  // waking_ here and in close(), and the waker drained one step 2 later
  // (CoreSelectorEventLoop::poll_for_io()).
  if (first_post) {
    wake_up();
    --waking_;
  }
  return Handle(std::move(handle));
}

void BaseEventLoop::schedule_expired_timer(std::shared_ptr<TimerHandleState> timer) {
  // Put in deadline order once, in step 4 (move_expired_timers_to_ready()):
  // inserting each in place cost O(n) moves per timer, O(n^2) for a poll
  // in which the library fires n timers out of order (libuv: 1e5 timers
  // took 19 us each, bench timers_fired). Most libraries fire in order
  // (libev, Asio), so the sort is only for when one came out of order.
  expired_in_order_ = expired_in_order_ && (expired_.empty() || expired_.back()->when() <= timer->when());
  expired_.push_back(std::move(timer));
}

bool BaseEventLoop::take_threadsafe_callbacks() {
  std::lock_guard lock(threadsafe_mutex_);
  if (threadsafe_.empty()) return false;
  for (auto& handle : threadsafe_) ready_.push_back(std::move(handle));
  threadsafe_.clear();
  return true;
}

void BaseEventLoop::check_thread(const char* method) const {
  // Debug mode (LOOP-DEBUG-EXTRA-CHECKS), as asyncio's _check_thread():
  // without it, a call from the wrong thread is a silent data race.
  if (!get_debug()) return;
  std::thread::id owner = loop_thread_.load();
  if (owner != std::thread::id() && owner != std::this_thread::get_id()) {
    throw RuntimeError(std::string(method) +
                       ": called from a thread other than the loop's; use call_soon_threadsafe()");
  }
}

}  // namespace pep3156::reference
