// WaitDeadline: a Poller::wait() timeout in the forms the syscalls take.
//
// A wait interrupted by a signal (EINTR) is retried; to end when the first
// attempt would have, every attempt asks for the time that remains until a
// fixed deadline instead of the whole timeout again.
#pragma once

#include <time.h>

#include <chrono>
#include <optional>

namespace pep3156::reference {

/// The longest wait the pollers pass to the kernel. Longer timeouts wake
/// once a day (the loop then simply waits again); the cap keeps every
/// conversion below far from overflow. asyncio caps its timeout likewise.
inline constexpr std::chrono::nanoseconds kMaximumWait = std::chrono::hours(24);

/// A non-negative duration as a timespec.
timespec to_timespec(std::chrono::nanoseconds duration) noexcept;

/// A non-negative duration in whole milliseconds, rounded UP: a wait that
/// only takes milliseconds must not end before the deadline.
int to_milliseconds_rounded_up(std::chrono::nanoseconds duration) noexcept;

class WaitDeadline {
 public:
  /// nullopt: no deadline (wait without limit).
  explicit WaitDeadline(std::optional<std::chrono::nanoseconds> timeout) noexcept;

  /// The time left, for pselect, ppoll, epoll_pwait2 and kevent; null (no
  /// limit) without a deadline. Valid until the next call.
  const timespec* remaining_timespec() noexcept;

  /// The time left in milliseconds, rounded up, for poll and epoll_wait;
  /// -1 (no limit) without a deadline.
  int remaining_milliseconds() const noexcept;

  /// A zero timeout: look, do not wait.
  bool just_look() const noexcept { return just_look_; }

 private:
  std::chrono::nanoseconds remaining() const noexcept;

  std::optional<std::chrono::steady_clock::time_point> deadline_;  // nullopt: no limit
  // A zero timeout ("just look", every iteration while callbacks are
  // ready) is zero on every attempt: no deadline, no clock to read.
  bool just_look_ = false;
  timespec remaining_{};
};

}  // namespace pep3156::reference
