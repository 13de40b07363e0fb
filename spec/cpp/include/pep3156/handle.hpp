// Handle and TimerHandle (PEP 3156, "Handles").
//
// call_soon(), call_later(), call_at() and call_soon_threadsafe() return an
// object representing the registration; its one public method is cancel().
// The object is shared: the loop keeps one reference until it has run (or
// dropped) the callback, the caller keeps another for as long as it wants
// to be able to cancel. add_reader(), add_writer() and add_signal_handler()
// do not return Handles.
//
// Ownership and threads: a Handle is a cheap copyable reference to a
// HandleState. cancel() is not thread-safe: call it on the loop's thread
// (PEP 3156: call_soon_threadsafe() is "the *only* method that is safe to
// call from another thread"; decision D-HANDLE-2).
//
// Adapters: a loop that keeps its own per-callback resource (a libuv timer,
// an Asio steady_timer) derives from HandleState or TimerHandleState and
// overrides on_cancel() to release it. Nothing else about a Handle is loop
// specific.
#pragma once

#include <memory>
#include <utility>

#include "pep3156/unique_function.hpp"

namespace pep3156 {

/// The shared state behind a Handle: the callback and whether it was
/// cancelled. A loop runs it with run(); the user cancels it with cancel().
class HandleState {
 public:
  /// By rvalue reference here and in the constructors that forward to it
  /// (TimerHandleState, a loop's own states): the callable is moved once,
  /// into the state, not once per constructor it passes through.
  explicit HandleState(Callback&& callback) noexcept : callback_(std::move(callback)) {}
  virtual ~HandleState() = default;
  HandleState(const HandleState&) = delete;
  HandleState& operator=(const HandleState&) = delete;

  /// Cancels the callback: it will not be called. Idempotent. The callback
  /// and what it captured are released at once, as asyncio does, so that a
  /// cancelled handle pins nothing; then on_cancel() tells the loop. A
  /// callback that cancels its own Handle is released when it returns, not
  /// under its own feet.
  void cancel() noexcept {
    if (cancelled_) return;
    cancelled_ = true;
    if (!running_) callback_.reset();
    on_cancel();
  }

  bool cancelled() const noexcept { return cancelled_; }

  /// Called by the loop, and only by the loop: runs the callback unless
  /// cancelled. Exceptions propagate to the loop, which passes them to its
  /// exception handler.
  void run() {
    if (cancelled_) return;
    running_ = true;
    try {
      callback_();
    } catch (...) {
      finish_run();
      throw;
    }
    finish_run();
  }

 protected:
  /// Hook for loops that must release a resource of their own on cancel.
  virtual void on_cancel() noexcept {}

 private:
  void finish_run() noexcept {
    running_ = false;
    if (cancelled_) callback_.reset();  // cancelled by the callback itself
  }

  Callback callback_;
  bool cancelled_ = false;
  bool running_ = false;
};

/// A HandleState with the time at which the callback is due.
class TimerHandleState : public HandleState {
 public:
  TimerHandleState(double when, Callback&& callback) noexcept
      : HandleState(std::move(callback)), when_(when) {}

  /// The loop time (AbstractEventLoop::time()) at which the callback is due.
  double when() const noexcept { return when_; }

 protected:
  /// For call_repeatedly(): the loop moves the deadline before requeueing.
  void set_when(double when) noexcept { when_ = when; }

 private:
  double when_;
};

/// What call_soon() and call_soon_threadsafe() return.
class Handle {
 public:
  Handle() noexcept = default;
  explicit Handle(std::shared_ptr<HandleState> state) noexcept : state_(std::move(state)) {}

  /// PEP 3156: "cancel(): Cancel the callback." Does nothing on an empty Handle.
  void cancel() const noexcept {
    if (state_) state_->cancel();
  }

  bool cancelled() const noexcept { return state_ && state_->cancelled(); }

  explicit operator bool() const noexcept { return state_ != nullptr; }
  const std::shared_ptr<HandleState>& state() const noexcept { return state_; }

  friend bool operator==(const Handle& a, const Handle& b) noexcept { return a.state_ == b.state_; }

 protected:
  std::shared_ptr<HandleState> state_;
};

/// What call_later(), call_at() and call_repeatedly() return: a Handle that
/// also knows when it is due (decision D-HANDLE-1: when() is part of the
/// contract, for call_later(0) and negative delays too).
class TimerHandle : public Handle {
 public:
  TimerHandle() noexcept = default;
  explicit TimerHandle(std::shared_ptr<TimerHandleState> state) noexcept : Handle(std::move(state)) {}

  /// The loop time at which the callback is (next) due.
  double when() const noexcept { return static_cast<const TimerHandleState&>(*state_).when(); }
};

}  // namespace pep3156
