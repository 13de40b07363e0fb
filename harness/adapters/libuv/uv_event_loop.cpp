// UvEventLoop: steps 2 and 3 of an iteration on uv_run(), timers on
// uv_timer_t, the wake-up on uv_async_t, the loop's lifetime.
#include "uv_event_loop.hpp"

#include <algorithm>
#include <cmath>

#include "hold_back_sigpipe.hpp"
#include "pep3156/exception_context.hpp"
#include "uv_handle.hpp"

namespace loopcert_libuv {

namespace {

// libuv's timers count whole milliseconds from uv_now().
constexpr double kMillisecond = 1e-3;
// A wait or a timer longer than a day is cut to a day: the loop then wakes,
// finds nothing due and waits again.
constexpr double kLongestWaitMs = 24 * 3600 * 1000.0;

std::uint64_t milliseconds_rounded_up(double seconds) {
  return static_cast<std::uint64_t>(std::clamp(std::ceil(seconds / kMillisecond), 0.0, kLongestWaitMs));
}

UvEventLoop& loop_of(uv_handle_t* handle) { return *static_cast<UvEventLoop*>(handle->data); }

}  // namespace

Capabilities uv_capabilities() noexcept {
  Capabilities capabilities;
  capabilities.categories =
      Category::io_callbacks | Category::signals | Category::unix_sockets | Category::pipes_subprocesses;
  // uv_timer_start() takes milliseconds (D-CB-2).
  capabilities.clock_resolution = kMillisecond;
  return capabilities;
}

// --- A timer: one uv_timer_t -----------------------------------------------------------

class ArmedTimer;

/// The TimerHandle's state: cancel() stops the libuv timer.
class UvTimerHandle final : public TimerHandleState {
 public:
  using TimerHandleState::TimerHandleState;
  ArmedTimer* armed = nullptr;  // null once fired, cancelled or closed

 private:
  void on_cancel() noexcept override;
};

/// The uv_timer_t of one call_at(), alive until libuv's close callback.
class ArmedTimer final : public UvHandleOwner {
 public:
  ArmedTimer(UvEventLoop& loop, std::shared_ptr<UvTimerHandle> handle)
      : loop_(loop), handle_(std::move(handle)) {
    uv_timer_init(loop.uv(), &timer_);
    timer_.data = static_cast<UvHandleOwner*>(this);
    handle_->armed = this;
    arm();
  }
  ~ArmedTimer() override {
    if (handle_) handle_->armed = nullptr;
  }

  void disarm() noexcept {
    handle_->armed = nullptr;
    close_handle(reinterpret_cast<uv_handle_t*>(&timer_));
  }

 private:
  void arm() {
    // uv_now() is the time this iteration began: refresh it, or the timer
    // would count from a past instant and fire early.
    uv_update_time(loop_.uv());
    uv_timer_start(&timer_, &ArmedTimer::expired, milliseconds_rounded_up(handle_->when() - loop_.time()), 0);
  }

  static void expired(uv_timer_t* timer) {
    auto& self = *static_cast<ArmedTimer*>(static_cast<UvHandleOwner*>(timer->data));
    // libuv's millisecond clock (CLOCK_MONOTONIC_COARSE when it is that
    // fine) is not time()'s: a timer is due when time() says so, never
    // earlier (LOOP-CALLLATER-ONCE). Otherwise, wait the rest.
    if (self.loop_.time() < self.handle_->when()) {
      self.arm();
      return;
    }
    self.handle_->armed = nullptr;
    self.loop_.timer_expired(self.handle_);
    close_handle(reinterpret_cast<uv_handle_t*>(timer));
  }

  UvEventLoop& loop_;
  uv_timer_t timer_{};
  std::shared_ptr<UvTimerHandle> handle_;  // released with this object
};

void UvTimerHandle::on_cancel() noexcept {
  if (armed) armed->disarm();
}

TimerHandle UvEventLoop::call_at(double when, Callback callback) {
  check_call_at(when);
  auto handle = std::make_shared<UvTimerHandle>(when, std::move(callback));
  new ArmedTimer(*this, handle);  // owned by libuv until closed
  return TimerHandle(std::move(handle));
}

void UvEventLoop::timer_expired(std::shared_ptr<TimerHandleState> timer) {
  schedule_expired_timer(std::move(timer));
  end_wait();
}

// --- The loop ------------------------------------------------------------------------------

UvEventLoop::UvEventLoop() {
  if (int status = uv_loop_init(&loop_); status < 0) throw_uv_error(status, "uv_loop_init()");
  uv_async_init(&loop_, &wake_up_, [](uv_async_t* async) {
    // uv_async_send() calls coalesce, and libuv has drained them all
    // before this runs: take every post made so far.
    auto& loop = loop_of(reinterpret_cast<uv_handle_t*>(async));
    loop.take_threadsafe_callbacks();
    loop.end_wait();
  });
  wake_up_.data = this;
  uv_timer_init(&loop_, &wait_limit_);
  wait_limit_.data = this;
}

UvEventLoop::~UvEventLoop() {
  release_tasks();  // first: a Task's frame may still talk to the loop
  if (!is_closed()) close();
}

void UvEventLoop::schedule_from_uv(std::shared_ptr<HandleState> handle) {
  schedule(std::move(handle));
  end_wait();
}

void UvEventLoop::report(const char* message, std::exception_ptr exception,
                         std::shared_ptr<BaseTransport> transport, std::shared_ptr<BaseProtocol> protocol) {
  ExceptionContext context;
  context.message = message;
  context.exception = std::move(exception);
  context.transport = std::move(transport);
  context.protocol = std::move(protocol);
  call_exception_handler(context);
}

void UvEventLoop::poll_for_io(std::optional<std::chrono::nanoseconds> timeout) {
  // A report of a forgotten fd is ready: it must not wait.
  if (!fds_to_check_.empty() && forget_closed_fds()) timeout = std::chrono::nanoseconds::zero();
  std::optional<HoldBackSigpipe> sigpipe;
  if (queued_writes_ > 0) sigpipe.emplace();
  if (!timeout) {
    // Until something happens: libuv's own timers bound the wait.
    uv_run(&loop_, UV_RUN_ONCE);
  } else if (*timeout == std::chrono::nanoseconds::zero()) {
    uv_run(&loop_, UV_RUN_NOWAIT);
  } else {
    // Its expiry must end the wait even when it runs before libuv works
    // out how long to block.
    uv_timer_start(
        &wait_limit_, [](uv_timer_t* limit) { loop_of(reinterpret_cast<uv_handle_t*>(limit)).end_wait(); },
        milliseconds_rounded_up(std::chrono::duration<double>(*timeout).count()), 0);
    uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&wait_limit_);
  }
}

void UvEventLoop::wake_up() noexcept { uv_async_send(&wake_up_); }

void UvEventLoop::close_io() noexcept {
  fds_.clear();
  signals_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_up_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&wait_limit_), nullptr);
  // Every other handle belongs to a UvHandleOwner: timers, fd and signal
  // watchers (closing a uv_signal_t restores SIG_DFL), transports, servers
  // and processes. Their protocols hear nothing more: the loop can run no
  // callback any more. What outlives the loop (a Transport, a Server, a
  // TimerHandle) learns from the owner's destructor that the handle is gone.
  uv_walk(
      &loop_, [](uv_handle_t* handle, void*) { UvHandleOwner::close_handle(handle); }, nullptr);
  // The close callbacks (and the cancelled requests') run in an iteration.
  // A callback's uv_stop() may end one early: run until nothing is left.
  while (uv_run(&loop_, UV_RUN_DEFAULT) != 0) {
  }
  uv_loop_close(&loop_);  // the epoll fd, the async eventfd, the signal pipe (LOOP-CLOSE-RELEASES)
}

}  // namespace loopcert_libuv
