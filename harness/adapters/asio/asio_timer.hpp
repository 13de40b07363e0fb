// AsioTimer: the Handle call_at() returns, with the asio::steady_timer that
// makes it due. Its wait's completion hands it to the ready queue
// (BaseEventLoop::schedule_expired_timer()); cancel() cancels the wait.
#pragma once

#include <asio/steady_timer.hpp>
#include <optional>

#include "pep3156/handle.hpp"

namespace loopcert_asio {

class AsioEventLoop;

class AsioTimer : public pep3156::TimerHandleState {
 public:
  AsioTimer(double when, pep3156::Callback&& callback, AsioEventLoop& loop) noexcept
      : TimerHandleState(when, std::move(callback)), loop_(loop) {}

  /// Starts the steady_timer; `self` is this timer, kept alive by the wait.
  static void arm(const std::shared_ptr<AsioTimer>& self);
  /// For the loop's close(): drops the steady_timer while its io_context
  /// still exists (a Handle may outlive the loop).
  void disarm() noexcept { timer_.reset(); }

 protected:
  void on_cancel() noexcept override;

 private:
  AsioEventLoop& loop_;
  std::optional<asio::steady_timer> timer_;  // engaged while armed
};

}  // namespace loopcert_asio
