// Futures (PEP 3156, "Futures").
//
// A Future is a placeholder for a result that is not available yet. The
// state machine is the PEP's: pending -> finished (result or exception) or
// pending -> cancelled; a done Future never changes again. Two rules make it
// an event-loop Future rather than a PEP 3148 one:
//
//   - "The callback is never called immediately": done-callbacks are always
//     scheduled with the loop's call_soon(), both when the Future becomes
//     done and when add_done_callback() is called on a done Future.
//   - result() and exception() never wait: on a pending Future they raise
//     InvalidStateError.
//
// Layers:
//   FutureBase      the untyped state machine, every method virtual so that
//                   a loop may supply its own (create_future(), task factory)
//   StandardFuture  the PEP's one implementation of it (future.cpp)
//   Future<T>       the typed, copyable handle users hold; co_await-able
//
// Ownership: a Future<T> is a shared reference; the state lives as long as
// any Future<T>, Task<T> or pending callback refers to it. A Future keeps a
// plain reference to its loop: a Future must not be used after its loop is
// destroyed (destroying it then is fine). Loops are owned by shared_ptr
// (policy, factory, make_shared), which lets a Future that dies after its
// loop skip the "exception was never retrieved" report instead of touching
// a dead loop.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "pep3156/errors.hpp"
#include "pep3156/unique_function.hpp"
#include "pep3156/value.hpp"

namespace pep3156 {

class AbstractEventLoop;
class FutureBase;
using FuturePtr = std::shared_ptr<FutureBase>;

/// A done-callback receives the Future itself, its single argument
/// (PEP 3156: "always called with a single argument, the Future object").
using DoneCallback = UniqueFunction<void(const FuturePtr&)>;

/// Identifies one add_done_callback() registration for
/// remove_done_callback(). C++ callables have no ==, so the registration
/// itself is the thing compared (decision D-FUT-1).
using CallbackId = std::uint64_t;

/// The untyped Future state machine. Loops that supply their own Futures
/// derive from it; everyone else uses StandardFuture through Future<T>.
class FutureBase : public std::enable_shared_from_this<FutureBase> {
 public:
  virtual ~FutureBase() = default;
  FutureBase() = default;
  FutureBase(const FutureBase&) = delete;
  FutureBase& operator=(const FutureBase&) = delete;

  /// Done or cancelled: False. Otherwise attempt to cancel and return True.
  virtual bool cancel() = 0;
  virtual bool cancelled() const = 0;
  /// A cancelled Future is done too.
  virtual bool done() const = 0;
  /// The result; rethrows the exception; CancelledError if cancelled;
  /// InvalidStateError if pending. Never waits.
  virtual Value& result_value() = 0;
  /// The exception, or null if a result was set; CancelledError if
  /// cancelled; InvalidStateError if pending. Never waits.
  virtual std::exception_ptr exception() = 0;
  /// Schedules `fn(this)` with call_soon() when done (at once if done now).
  virtual CallbackId add_done_callback(DoneCallback fn) = 0;
  /// Removes the registration; returns how many were removed (0 or 1).
  virtual std::size_t remove_done_callback(CallbackId id) = 0;
  /// InvalidStateError unless pending.
  virtual void set_result_value(Value result) = 0;
  /// InvalidStateError unless pending.
  virtual void set_exception(std::exception_ptr exception) = 0;
  /// The loop this Future was created on (PEP 3156: "A Future is associated
  /// with an event loop when it is created").
  virtual AbstractEventLoop& get_loop() const = 0;
};

/// The PEP's Future: the one implementation every loop shares.
class StandardFuture : public FutureBase {
 public:
  explicit StandardFuture(AbstractEventLoop& loop);
  ~StandardFuture() override;

  bool cancel() override;
  bool cancelled() const override { return state_ == State::cancelled; }
  bool done() const override { return state_ != State::pending; }
  Value& result_value() override;
  std::exception_ptr exception() override;
  CallbackId add_done_callback(DoneCallback fn) override;
  std::size_t remove_done_callback(CallbackId id) override;
  void set_result_value(Value result) override;
  void set_exception(std::exception_ptr exception) override;
  AbstractEventLoop& get_loop() const override { return *loop_; }

 protected:
  enum class State : std::uint8_t { pending, cancelled, finished };
  /// Moves to `state` and schedules every done-callback.
  void finish(State state);

 private:
  class ScheduledCallback;  // future.cpp: the loop callback that runs one done-callback

  /// Hands the done-callback in callbacks_[slot] to the loop.
  void schedule_callback(std::size_t slot);
  /// Takes the done-callback out of its slot, to run or to drop it.
  DoneCallback take_scheduled(std::size_t slot) noexcept;
  void check_not_done(const char* method) const;

  AbstractEventLoop* loop_;
  std::weak_ptr<AbstractEventLoop> loop_alive_;
  State state_ = State::pending;
  bool exception_retrieved_ = false;
  Value result_;
  std::exception_ptr exception_;
  /// The done-callbacks: registered while pending; once done, scheduled and
  /// waiting here until the loop runs them. Keeping them here, rather than
  /// inside the loop's callback, lets that callback fit in Callback's inline
  /// storage: scheduling one costs no allocation of its own.
  std::vector<std::pair<CallbackId, DoneCallback>> callbacks_;
  std::size_t scheduled_waiting_ = 0;  // scheduled slots not yet taken
  CallbackId next_callback_id_ = 1;
};

namespace detail {
/// Reads a Future's result as T, the way co_await returns it: a copy when
/// T is copyable (several awaiters may read one Future), else a move.
template <class T>
T take_result(FutureBase& state) {
  if constexpr (std::is_void_v<T>) {
    state.result_value();
  } else if constexpr (std::is_copy_constructible_v<T>) {
    return state.result_value().template get<T>();
  } else {
    return std::move(state.result_value().template get<T>());
  }
}

template <class T>
class FutureAwaiter;
}  // namespace detail

/// A typed reference to a Future. Copies refer to the same Future.
template <class T = void>
class Future {
 public:
  using value_type = T;

  /// An empty reference (valid() is false).
  Future() = default;
  /// A new pending StandardFuture on `loop` (Python: Future(loop=loop)).
  explicit Future(AbstractEventLoop& loop) : state_(std::make_shared<StandardFuture>(loop)) {}
  /// Views an existing (possibly loop-supplied) Future as holding a T.
  explicit Future(FuturePtr state) noexcept : state_(std::move(state)) {}

  bool valid() const noexcept { return state_ != nullptr; }
  const FuturePtr& state() const noexcept { return state_; }
  AbstractEventLoop& get_loop() const { return state_->get_loop(); }

  bool cancel() const { return state_->cancel(); }
  bool cancelled() const { return state_->cancelled(); }
  bool done() const { return state_->done(); }
  std::exception_ptr exception() const { return state_->exception(); }

  /// The result (a reference into the Future for non-void T).
  decltype(auto) result() const {
    if constexpr (std::is_void_v<T>) {
      state_->result_value();
    } else {
      return state_->result_value().template get<T>();
    }
  }

  template <class U = T>
  requires(!std::is_void_v<U>) void set_result(U&& value) const {
    state_->set_result_value(Value(T(std::forward<U>(value))));
  }
  void set_result() const requires std::is_void_v<T> { state_->set_result_value(Value()); }
  void set_exception(std::exception_ptr e) const { state_->set_exception(std::move(e)); }
  template <class E>
  requires std::is_class_v<E>
  void set_exception(E e) const { state_->set_exception(std::make_exception_ptr(std::move(e))); }

  /// `fn` is called with this Future, through call_soon(), once done.
  template <class F>
  requires std::is_invocable_v<F&, Future<T>> CallbackId add_done_callback(F fn)
  const {
    return state_->add_done_callback(
        [fn = std::move(fn)](const FuturePtr& done) mutable { fn(Future<T>(done)); });
  }
  std::size_t remove_done_callback(CallbackId id) const { return state_->remove_done_callback(id); }

  detail::FutureAwaiter<T> operator co_await() const noexcept;

  friend bool operator==(const Future& a, const Future& b) noexcept { return a.state_ == b.state_; }

 protected:
  FuturePtr state_;
};

}  // namespace pep3156
