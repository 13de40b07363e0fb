// LibeventEventLoop: the loop's core on an event_base (see the header).
#include "libevent_event_loop.hpp"

#include <event2/dns.h>
#include <event2/thread.h>

#include <cerrno>
#include <cmath>
#include <mutex>
#include <system_error>

#include "net_support.hpp"
#include "pep3156/exception_context.hpp"

namespace pep3156::libevent_adapter {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// Seconds as a timeval, rounded UP to the microsecond: libevent counts
/// microseconds, and a deadline rounded down would let a timer fire before
/// its time (D-CB-2).
timeval to_timeval(double seconds) {
  if (!(seconds > 0)) return timeval{0, 0};
  auto micros = static_cast<long long>(std::ceil(std::min(seconds, 24 * 3600.0) * 1e6));
  return timeval{static_cast<time_t>(micros / 1'000'000), static_cast<suseconds_t>(micros % 1'000'000)};
}

struct ConfigFree {
  void operator()(event_config* config) const noexcept { event_config_free(config); }
};

/// The backends libevent 2.1 has on Linux: the loop asks for one by
/// avoiding the others.
constexpr const char* kMethods[] = {"epoll", "poll", "select"};

}  // namespace

/// A TimerHandle on an evtimer: cancel() deletes the event, so a cancelled
/// timer leaves nothing in libevent's heap.
class LibeventTimer final : public TimerHandleState {
 public:
  LibeventTimer(LibeventEventLoop& loop, double when, Callback&& callback)
      : TimerHandleState(when, std::move(callback)), loop_(loop) {}

  LibeventEventLoop& loop() const noexcept { return loop_; }
  EventPtr ev;

 private:
  void on_cancel() noexcept override { loop_.disarm(this); }

  LibeventEventLoop& loop_;
};

// --- Creation and destruction ------------------------------------------------------

LibeventEventLoop::LibeventEventLoop(const std::string& method) : method_(method) {
  // Locking, and with it a base that other threads can wake (event_active()
  // from call_soon_threadsafe()), must be on before the first base exists.
  static std::once_flag threads_enabled;
  std::call_once(threads_enabled, [] {
    if (evthread_use_pthreads() != 0) throw RuntimeError("libevent: evthread_use_pthreads() failed");
  });
  std::unique_ptr<event_config, ConfigFree> config(event_config_new());
  if (!config) throw RuntimeError("libevent: event_config_new() failed");
  for (const char* other : kMethods) {
    if (method != other) event_config_avoid_method(config.get(), other);
  }
  // CLOCK_MONOTONIC instead of CLOCK_MONOTONIC_COARSE (1 to 4 ms behind),
  // and epoll's timeouts through a timerfd (microseconds, not milliseconds):
  // evutil_time.c, evutil_configure_monotonic_time_(); epoll.c, epoll_init().
  event_config_set_flag(config.get(), EVENT_BASE_FLAG_PRECISE_TIMER);
  base_ = event_base_new_with_config(config.get());
  if (!base_) throw RuntimeError("libevent: no event_base with the " + method + " backend");
  if (method != event_base_get_method(base_)) {
    std::string got = event_base_get_method(base_);
    event_base_free(base_);
    throw RuntimeError("libevent: asked for the " + method + " backend, got " + got);
  }
  wake_event_.reset(event_new(base_, -1, 0, &LibeventEventLoop::on_wake, this));
  poll_timeout_.reset(evtimer_new(
      base_, [](evutil_socket_t, short, void*) {}, nullptr));
  if (!wake_event_ || !poll_timeout_) {
    close_io();
    throw RuntimeError("libevent: event_new() failed");
  }
}

LibeventEventLoop::~LibeventEventLoop() {
  release_tasks();  // first: a Task's frame may still talk to the loop
  if (is_closed()) return;
  if (get_debug()) {
    ExceptionContext context;
    context.message = "unclosed event loop (libevent " + method_ + "): call close()";
    call_exception_handler(context);
  }
  close();
}

Capabilities LibeventEventLoop::declared_capabilities() {
  Capabilities capabilities;
  capabilities.categories =
      Category::io_callbacks | Category::signals | Category::unix_sockets | Category::pipes_subprocesses;
  // libevent's timers count microseconds (timeval): a deadline is rounded
  // up to one, on a clock libevent truncates to one.
  capabilities.clock_resolution = 1e-6;
  return capabilities;
}

// --- Steps 2 and 3 of an iteration ---------------------------------------------------

void LibeventEventLoop::poll_for_io(std::optional<std::chrono::nanoseconds> timeout) {
  // EVLOOP_ONCE returns once at least one (non-internal) callback ran:
  // a watcher, a timer, the wake-up, or poll_timeout_. Without
  // EVLOOP_NO_EXIT_ON_EMPTY a base with no pending event returns at once,
  // and a loop waiting only for another thread's post would spin.
  int flags = EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY;
  bool bounded = timeout && timeout->count() > 0;
  if (timeout && timeout->count() == 0) flags |= EVLOOP_NONBLOCK;
  if (bounded) {
    timeval wait = to_timeval(std::chrono::duration<double>(*timeout).count());
    event_add(poll_timeout_.get(), &wait);
  }
  int result;
  if (resources_.empty()) {
    result = event_base_loop(base_, flags);
  } else {
    // Bufferevents write with writev(): to a pipe or a socket whose peer is
    // gone, that raises SIGPIPE, which would kill the process. EPIPE is
    // what they must see (bufferevent_sock.c, bufferevent_writecb()).
    SigpipeGuard no_sigpipe;
    result = event_base_loop(base_, flags);
  }
  if (bounded) event_del(poll_timeout_.get());
  // -1: the backend failed (select() on a descriptor closed while watched:
  // EBADF). The error reaches run_forever()'s caller, who may remove it.
  if (result == -1) throw_errno("libevent: event_base_loop()");
}

void LibeventEventLoop::on_wake(evutil_socket_t, short, void* loop) {
  // One wake-up covers every post since the last take (BaseEventLoop::wake_up()).
  static_cast<LibeventEventLoop*>(loop)->take_threadsafe_callbacks();
}

void LibeventEventLoop::wake_up() noexcept {
  // Thread-safe: evthread locking is on, and the base is notifiable (its
  // backend wait is interrupted through an eventfd it owns).
  event_active(wake_event_.get(), EV_READ, 0);
}

void LibeventEventLoop::close_io() noexcept {
  // Every event before its base; signal events restore the disposition
  // they found when deleted (signal.c, evsig_restore_handler_()).
  while (!resources_.empty()) (*resources_.begin())->release();
  // Its nameserver sockets; pending lookups are cancelled (their callbacks
  // see the loop closed and leave their Futures alone).
  if (dns_) evdns_base_free(std::exchange(dns_, nullptr), 1);
  for (auto& [timer, owned] : armed_timers_) timer->ev.reset();
  armed_timers_.clear();
  readers_.clear();
  writers_.clear();
  signals_.clear();
  wake_event_.reset();
  poll_timeout_.reset();
  if (base_) event_base_free(base_);  // its backend fd, notify eventfd, signal socketpair
  base_ = nullptr;
}

// --- Timers ------------------------------------------------------------------------

TimerHandle LibeventEventLoop::call_at(double when, Callback callback) {
  check_call_at(when);
  auto timer = std::make_shared<LibeventTimer>(*this, when, std::move(callback));
  timer->ev.reset(evtimer_new(base_, &LibeventEventLoop::on_timer, timer.get()));
  if (!timer->ev) throw RuntimeError("libevent: evtimer_new() failed");
  // Relative to libevent's clock, read by event_add() after time() was read
  // here: the deadline is never earlier than `when` (same CLOCK_MONOTONIC).
  // A deadline already past still goes through libevent (zero timeout), so
  // that the timer waits for the next poll_for_io() like any other.
  timeval delay = to_timeval(when - time());
  if (event_add(timer->ev.get(), &delay) != 0) throw RuntimeError("libevent: event_add() failed for a timer");
  armed_timers_.emplace(timer.get(), timer);
  return TimerHandle(std::move(timer));
}

void LibeventEventLoop::on_timer(evutil_socket_t, short, void* timer) {
  auto* state = static_cast<LibeventTimer*>(timer);
  auto& loop = state->loop();
  auto owned = loop.armed_timers_.extract(state);
  state->ev.reset();
  loop.schedule_expired_timer(std::move(owned.mapped()));
}

void LibeventEventLoop::disarm(LibeventTimer* timer) noexcept {
  auto owned = armed_timers_.extract(timer);
  if (owned.empty()) return;  // fired already, or the loop closed
  timer->ev.reset();
  // `owned` releases the loop's reference last; the canceller holds another.
}

// --- I/O callbacks --------------------------------------------------------------------

void LibeventEventLoop::watch(Watches& watches, int fd, short what, Callback callback) {
  auto handle = std::make_shared<HandleState>(std::move(callback));
  auto found = watches.find(fd);
  if (found != watches.end()) {
    // LOOP-IO-ADD-REPLACES: same event, new Handle; the replaced one is
    // cancelled, so a run of it already queued does not happen.
    std::exchange(found->second->handle, std::move(handle))->cancel();
    return;
  }
  auto entry = std::make_unique<Watch>(Watch{this, std::move(handle), nullptr});
  entry->ev.reset(event_new(base_, fd, what, &LibeventEventLoop::on_watch_fired, entry.get()));
  if (!entry->ev) throw RuntimeError("libevent: event_new() failed");
  // The backend refuses here (epoll: EBADF for a closed fd, EPERM for a
  // regular file), and then nothing is registered.
  errno = 0;
  if (event_add(entry->ev.get(), nullptr) != 0) {
    if (errno != 0) throw_errno("libevent: event_add()");
    throw RuntimeError("libevent: event_add() failed");
  }
  watches.emplace(fd, std::move(entry));
}

bool LibeventEventLoop::unwatch(Watches& watches, int key) {
  auto found = watches.extract(key);
  if (found.empty()) return false;
  found.mapped()->ev.reset();  // event_del() never fails, even for a closed fd
  found.mapped()->handle->cancel();
  return true;
}

void LibeventEventLoop::on_watch_fired(evutil_socket_t, short, void* watch) {
  auto* fired = static_cast<Watch*>(watch);
  fired->loop->schedule(fired->handle);  // the same Handle each time it fires
}

void LibeventEventLoop::add_reader(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_reader()");
  watch(readers_, fd, EV_READ | EV_PERSIST, std::move(callback));
}

bool LibeventEventLoop::remove_reader(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(readers_, fd);  // LOOP-IO-REMOVE-READER
}

void LibeventEventLoop::add_writer(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_writer()");
  watch(writers_, fd, EV_WRITE | EV_PERSIST, std::move(callback));
}

bool LibeventEventLoop::remove_writer(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(writers_, fd);  // LOOP-IO-REMOVE-WRITER
}

// --- Signals ---------------------------------------------------------------------------

void LibeventEventLoop::add_signal_handler(int sig, Callback callback) {
  check_signal(sig);
  check_open("add_signal_handler()");
  check_main_thread("add_signal_handler()");
  watch(signals_, sig, EV_SIGNAL | EV_PERSIST, std::move(callback));  // LOOP-SIGNAL-ADD
}

bool LibeventEventLoop::remove_signal_handler(int sig) {
  check_signal(sig);
  if (is_closed()) return false;
  check_main_thread("remove_signal_handler()");
  return unwatch(signals_, sig);  // LOOP-SIGNAL-REMOVE
}

}  // namespace pep3156::libevent_adapter
