// Coroutines (PEP 3156, "Coroutines and the Scheduler").
//
// Coroutine<T> is what a coroutine function returns: the C++ rendering of a
// Python coroutine object. It is lazy (PEP 3156: "Calling a coroutine does
// not start its code running"): nothing runs until it is either
//   - awaited by another coroutine (`co_await child()`), which runs it inline
//     in the awaiting Task, as `yield from` does; or
//   - wrapped in a Task (loop.create_task(), ensure_future(),
//     run_until_complete()), which schedules it.
//
// A chain of coroutines awaiting each other is driven by one Task, its
// CoroutineDriver. When the innermost coroutine awaits a Future, the driver
// parks the chain until the Future is done, and resumes that coroutine from
// a done-callback. Cancellation is delivered as CancelledError thrown from
// the suspension point (the awaiter's await_resume), so a coroutine can
// catch it and carry on (PEP 3156: "the task may ignore or delay the
// cancellation attempt").
//
// Ownership: a Coroutine<T> owns its frame until it is awaited (the awaiting
// frame then owns it) or handed to a Task (the Task owns it).
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "pep3156/future.hpp"

namespace pep3156 {

/// The Task side of a running coroutine chain: the interface the awaiters
/// talk to. StandardTask implements it; a loop's own Task type may too.
class CoroutineDriver {
 public:
  virtual ~CoroutineDriver() = default;
  /// The loop this chain runs on.
  virtual AbstractEventLoop& driver_loop() const = 0;
  /// Parks the chain: `resume_at` (the innermost coroutine) is resumed once
  /// `awaited` is done, or when a cancel() of the driver cancels `awaited`.
  virtual void suspend_until_done(const FuturePtr& awaited, std::coroutine_handle<> resume_at) = 0;
  /// Parks the chain for one trip through the ready queue (a bare yield).
  virtual void suspend_until_next_step(std::coroutine_handle<> resume_at) = 0;
  /// Called by every awaiter as it resumes: throws CancelledError if a
  /// cancel() is pending that the awaited Future did not carry.
  virtual void on_resume() = 0;
};

namespace detail {

/// What every coroutine promise shares: the driver and the continuation.
class PromiseBase {
 public:
  CoroutineDriver* driver = nullptr;
  std::coroutine_handle<> continuation;  // the awaiting coroutine, if any
  std::exception_ptr exception;

  virtual ~PromiseBase() = default;
  /// Stores the coroutine's outcome into `future` (result or exception).
  virtual void deliver_to(FutureBase& future) = 0;

  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      // Symmetric transfer back to the awaiting coroutine; a top-level
      // coroutine returns control to its Task.
      auto next = self.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
class Promise;

}  // namespace detail

template <class T = void>
class Coroutine;

/// A Coroutine with its result type erased, as a Task factory receives it.
/// Owns the frame.
class ErasedCoroutine {
 public:
  ErasedCoroutine() = default;
  ErasedCoroutine(std::coroutine_handle<> handle, detail::PromiseBase* promise) noexcept
      : handle_(handle), promise_(promise) {}
  ErasedCoroutine(ErasedCoroutine&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), promise_(other.promise_) {}
  ErasedCoroutine& operator=(ErasedCoroutine&& other) noexcept {
    if (this != &other) {
      destroy();
      handle_ = std::exchange(other.handle_, nullptr);
      promise_ = other.promise_;
    }
    return *this;
  }
  ~ErasedCoroutine() { destroy(); }

  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
  std::coroutine_handle<> handle() const noexcept { return handle_; }
  detail::PromiseBase& promise() const noexcept { return *promise_; }
  bool done() const noexcept { return handle_.done(); }

  /// Destroys the frame (and every local it holds) now.
  void destroy() noexcept {
    if (handle_) std::exchange(handle_, nullptr).destroy();
  }

 private:
  std::coroutine_handle<> handle_;
  detail::PromiseBase* promise_ = nullptr;
};

/// A lazy coroutine returning T; see the file comment.
template <class T>
class [[nodiscard]] Coroutine {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Coroutine(Coroutine&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Coroutine& operator=(Coroutine&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ~Coroutine() {
    if (handle_) handle_.destroy();
  }

  /// Gives up ownership of the frame, e.g. to a Task.
  ErasedCoroutine release() && noexcept {
    auto handle = std::exchange(handle_, nullptr);
    return ErasedCoroutine(handle, &handle.promise());
  }

  // Awaiting a coroutine runs it inline in the awaiting Task ("yield from").
  bool await_ready() const noexcept { return false; }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> awaiting) noexcept {
    handle_.promise().driver = awaiting.promise().driver;
    handle_.promise().continuation = awaiting;
    return handle_;
  }
  T await_resume() { return handle_.promise().take(); }

 private:
  friend class detail::Promise<T>;
  explicit Coroutine(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
class Promise : public PromiseBase {
 public:
  Coroutine<T> get_return_object() noexcept {
    return Coroutine<T>(std::coroutine_handle<Promise>::from_promise(*this));
  }
  template <class U>
  void return_value(U&& value) {
    result_.emplace(std::forward<U>(value));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*result_);
  }
  void deliver_to(FutureBase& future) override {
    if (exception) {
      future.set_exception(exception);
    } else {
      future.set_result_value(Value(std::move(*result_)));
    }
  }

 private:
  std::optional<T> result_;
};

template <>
class Promise<void> : public PromiseBase {
 public:
  Coroutine<void> get_return_object() noexcept {
    return Coroutine<void>(std::coroutine_handle<Promise>::from_promise(*this));
  }
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
  void deliver_to(FutureBase& future) override {
    if (exception) {
      future.set_exception(exception);
    } else {
      future.set_result_value(Value());
    }
  }
};

/// co_await on a Future: suspend unless done, then return its result.
template <class T>
class FutureAwaiter {
 public:
  explicit FutureAwaiter(FuturePtr future) noexcept : future_(std::move(future)) {}

  bool await_ready() const { return future_->done(); }
  template <class P>
  void await_suspend(std::coroutine_handle<P> awaiting) {
    static_assert(std::is_base_of_v<PromiseBase, P>,
                  "a pep3156::Future can be awaited only from a pep3156::Coroutine");
    driver_ = awaiting.promise().driver;
    driver_->suspend_until_done(future_, awaiting);
  }
  T await_resume() {
    if (driver_ != nullptr) driver_->on_resume();
    return take_result<T>(*future_);
  }

 private:
  FuturePtr future_;
  CoroutineDriver* driver_ = nullptr;
};

/// Resumes at once with the loop of the awaiting chain's driver.
struct LoopAwaiter {
  CoroutineDriver* driver = nullptr;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> awaiting) noexcept {
    driver = awaiting.promise().driver;
    return false;  // never actually suspends
  }
  AbstractEventLoop& await_resume() const noexcept { return driver->driver_loop(); }
};

/// Suspends for one trip through the loop's ready queue.
struct YieldAwaiter {
  CoroutineDriver* driver = nullptr;
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> awaiting) {
    driver = awaiting.promise().driver;
    driver->suspend_until_next_step(awaiting);
  }
  void await_resume() const { driver->on_resume(); }
};

}  // namespace detail

template <class T>
detail::FutureAwaiter<T> Future<T>::operator co_await() const noexcept {
  return detail::FutureAwaiter<T>(state_);
}

/// `co_await this_loop()` inside a coroutine: the loop running its Task.
/// This is the loop every helper uses when none is passed (decision
/// D-POLICY-3: within a Task, "the current loop" is the Task's loop).
inline detail::LoopAwaiter this_loop() noexcept { return {}; }

/// `co_await yield_now()`: let every other ready callback run once (the
/// bare `yield` of a Python coroutine; sleep(0)).
inline detail::YieldAwaiter yield_now() noexcept { return {}; }

}  // namespace pep3156
