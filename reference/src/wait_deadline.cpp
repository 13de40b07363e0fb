#include "wait_deadline.hpp"

#include <algorithm>

namespace pep3156::reference {

using std::chrono::nanoseconds;
using std::chrono::steady_clock;

timespec to_timespec(nanoseconds duration) noexcept {
  auto count = std::clamp(duration, nanoseconds::zero(), kMaximumWait).count();
  return timespec{static_cast<time_t>(count / 1'000'000'000), static_cast<long>(count % 1'000'000'000)};
}

int to_milliseconds_rounded_up(nanoseconds duration) noexcept {
  auto count = std::clamp(duration, nanoseconds::zero(), kMaximumWait).count();
  return static_cast<int>((count + 999'999) / 1'000'000);
}

WaitDeadline::WaitDeadline(std::optional<nanoseconds> timeout) noexcept {
  if (!timeout) return;
  if (*timeout <= nanoseconds::zero()) {
    just_look_ = true;
  } else {
    deadline_ = steady_clock::now() + std::min(*timeout, kMaximumWait);
  }
}

nanoseconds WaitDeadline::remaining() const noexcept {
  if (just_look_) return nanoseconds::zero();
  return std::max(nanoseconds::zero(), *deadline_ - steady_clock::now());
}

const timespec* WaitDeadline::remaining_timespec() noexcept {
  if (!deadline_ && !just_look_) return nullptr;
  remaining_ = to_timespec(remaining());
  return &remaining_;
}

int WaitDeadline::remaining_milliseconds() const noexcept {
  return deadline_ || just_look_ ? to_milliseconds_rounded_up(remaining()) : -1;
}

}  // namespace pep3156::reference
