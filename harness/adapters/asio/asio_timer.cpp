#include "asio_timer.hpp"

#include <algorithm>
#include <cmath>

#include "asio_event_loop.hpp"

namespace loopcert_asio {

namespace {
// time() is steady_clock in seconds (BaseEventLoop::time()); the deadline
// is rounded UP to steady_clock's nanosecond, so the timer never fires
// before `when` (LOOP-CALLLATER-ONCE, D-CB-2). Asio's timer queue only
// completes a wait once now() >= expiry (detail/timer_queue.hpp,
// get_ready_timers()), whatever its reactor's wait granularity.
std::chrono::steady_clock::time_point deadline(double when) {
  using std::chrono::nanoseconds;
  constexpr double latest = 1e18;  // ns: ~31 years, within time_point's range
  double ns = std::clamp(std::ceil(when * 1e9), -latest, latest);
  return std::chrono::steady_clock::time_point(nanoseconds(static_cast<nanoseconds::rep>(ns)));
}
}  // namespace

void AsioTimer::arm(const std::shared_ptr<AsioTimer>& self) {
  AsioEventLoop& loop = self->loop_;
  self->timer_.emplace(loop.context(), deadline(self->when()));
  loop.armed_timers_.insert(self.get());
  self->timer_->async_wait([self](const asio::error_code& error) {
    self->loop_.armed_timers_.erase(self.get());
    self->timer_.reset();
    // A cancelled wait completes with operation_aborted: nothing to run.
    if (!error && !self->cancelled()) self->loop_.schedule_expired_timer(self);
  });
}

void AsioTimer::on_cancel() noexcept {
  // The wait completes with operation_aborted at the next poll_for_io(),
  // which releases the timer and this handle's callback.
  if (timer_) timer_->cancel();
}

}  // namespace loopcert_asio
