// LibevCoreLoop: steps 2 and 3 of an iteration in ev_run(), libev's timers
// behind call_at(), its ev_async behind call_soon_threadsafe(), and close.
#include "libev_event_loop.hpp"

#include <string>

#include "libev_timer.hpp"

namespace loopcert_libev {

using std::chrono::nanoseconds;

namespace {

// EVFLAG_NOENV: the backend is the one asked for, whatever LIBEV_FLAGS says.
// EVFLAG_NOSIGMASK: libev would otherwise sigprocmask() each signal it
// starts watching, which POSIX leaves unspecified in a threaded process (the
// kit runs threads); the reference loop leaves the mask alone too.
// Not EVFLAG_SIGNALFD: a signalfd only sees signals blocked in every thread,
// and children inherit the blocked mask across exec().
constexpr unsigned kLoopFlags = EVFLAG_NOENV | EVFLAG_NOSIGMASK;

}  // namespace

LibevCoreLoop::LibevCoreLoop(unsigned backend) : loop_(ev_loop_new(backend | kLoopFlags)) {
  if (!loop_)
    throw pep3156::RuntimeError("ev_loop_new() failed for libev backend " + std::to_string(backend));
  if (ev_backend(loop_) != backend) {
    ev_loop_destroy(loop_);
    throw pep3156::RuntimeError("libev did not give backend " + std::to_string(backend));
  }
  ev_set_userdata(loop_, this);
  // call_soon_threadsafe()'s wake-up (LOOP-THREADSAFE-WAKEUP); ev_async_send()
  // is the one libev call any thread may make.
  ev_async_init(&wake_up_watcher_, &on_wake_up);
  ev_async_start(loop_, &wake_up_watcher_);
  ev_init(&wait_bound_, [](struct ev_loop*, ev_timer*, int) {});
}

LibevCoreLoop::~LibevCoreLoop() {
  release_tasks();  // first: a Task's frame may still talk to the loop
  close();
}

// --- Steps 2 and 3 of an iteration --------------------------------------------------

void LibevCoreLoop::poll_for_io(std::optional<nanoseconds> timeout) {
  // An fd closed behind our back would abort libev (see
  // forget_closed_fds()); its report is then ready to run.
  if (forget_closed_fds()) timeout = nanoseconds::zero();
  // One libev iteration. Its watchers' callbacks (on_*() below) only queue
  // Handles, which run in step 5, after ev_run() has returned.
  if (timeout == nanoseconds::zero()) {
    ev_run(loop_, EVRUN_NOWAIT);
    return;
  }
  // EVRUN_ONCE blocks until a watcher fires, the earliest ev_timer of
  // call_at() included; a finite wait needs a timer of its own.
  if (timeout) {
    ev_timer_set(&wait_bound_, std::chrono::duration<double>(*timeout).count(), 0.0);
    ev_timer_start(loop_, &wait_bound_);
  }
  ev_run(loop_, EVRUN_ONCE);
  ev_timer_stop(loop_, &wait_bound_);
}

void LibevCoreLoop::on_wake_up(struct ev_loop* loop, ev_async*, int) noexcept {
  // libev clears the async's "sent" flag before it calls us, so a post
  // made from here on sends again: taking the posts after is safe
  // (BaseEventLoop::wake_up()'s contract).
  static_cast<LibevCoreLoop*>(ev_userdata(loop))->take_threadsafe_callbacks();
}

void LibevCoreLoop::wake_up() noexcept { ev_async_send(loop_, &wake_up_watcher_); }

// --- Timers ---------------------------------------------------------------------------

TimerHandle LibevCoreLoop::call_at(double when, Callback callback) {
  check_call_at(when);
  auto timer = std::make_shared<LibevTimer>(*this, when, std::move(callback));
  // libev starts a timer at its cached "now" plus the delay, and its "now"
  // is the same clock as time() (CLOCK_MONOTONIC, ev.c get_clock()) but
  // read once per iteration. Read time() first, then refresh libev's
  // cache: the cache is then at or after `now`, so the timer is due at or
  // after `when`, never before it (LOOP-CALLLATER-ONCE, D-CB-2). A timer
  // started on the stale cache would fire early by the age of the cache.
  double now = time();
  ev_now_update(loop_);
  ev_timer_init(&timer->watcher, &on_timer, when - now, 0.0);
  timer->watcher.data = timer.get();
  ev_timer_start(loop_, &timer->watcher);
  armed_timers_.emplace(timer.get(), timer);
  return TimerHandle(std::move(timer));
}

void LibevCoreLoop::on_timer(struct ev_loop* loop, ev_timer* watcher, int) noexcept {
  auto& self = *static_cast<LibevCoreLoop*>(ev_userdata(loop));
  auto armed = self.armed_timers_.extract(static_cast<LibevTimer*>(watcher->data));
  // libev fires the timers due in one iteration in its own order; the base
  // puts them in deadline order.
  self.schedule_expired_timer(std::move(armed.mapped()));
}

void LibevCoreLoop::disarm(LibevTimer& timer) noexcept {
  ev_timer_stop(loop_, &timer.watcher);  // also drops a pending expiry
  armed_timers_.erase(&timer);
}

// --- Closing -------------------------------------------------------------------------

void LibevCoreLoop::close_io() noexcept {
  for (auto& [timer, state] : armed_timers_) {
    ev_timer_stop(loop_, &timer->watcher);
    timer->disown();
  }
  armed_timers_.clear();
  for (IoWatches* watches : {&readers_, &writers_}) {
    for (auto& [fd, watch] : *watches) ev_io_stop(loop_, &watch->watcher);
    watches->clear();
  }
  while (!signals_.empty()) remove_signal(signals_.begin()->first);  // SIG_DFL again
  ev_async_stop(loop_, &wake_up_watcher_);
  ev_timer_stop(loop_, &wait_bound_);
  ev_loop_destroy(loop_);  // closes the epoll fd and libev's eventfd (LOOP-CLOSE-RELEASES)
  loop_ = nullptr;
}

}  // namespace loopcert_libev
