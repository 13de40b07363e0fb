// LibevTimer: what call_at() returns on a libev loop, a TimerHandle's state
// that owns the ev_timer behind it, so that cancelling the handle stops the
// library's timer (pep3156/handle.hpp, on_cancel()).
#pragma once

#include <ev.h>

#include "libev_event_loop.hpp"

namespace loopcert_libev {

class LibevTimer final : public pep3156::TimerHandleState {
 public:
  LibevTimer(LibevCoreLoop& loop, double when, Callback&& callback) noexcept
      : TimerHandleState(when, std::move(callback)), loop_(&loop) {}

  ev_timer watcher{};

  /// The loop closed: the watcher is stopped and the loop gone, so a later
  /// cancel() has nothing to stop.
  void disown() noexcept { loop_ = nullptr; }

 private:
  void on_cancel() noexcept override {
    if (loop_) loop_->disarm(*this);
  }

  LibevCoreLoop* loop_;
};

}  // namespace loopcert_libev
