// The coroutine helpers (PEP 3156, "Coroutines and the Scheduler"):
// ensure_future, sleep, wait, wait_for, as_completed, gather, shield and
// wrap_future. Like Future and Task they are written once, against the
// public loop interface only, and work on every conforming loop.
//
// `loop` arguments (PEP 3156, "Passing an Event Loop Around Explicitly"):
// when given, it is used and passed on; when null, the loop of the Futures
// passed in is used, or else default_loop(): inside a Task, the loop running
// it (decision D-POLICY-3), elsewhere get_event_loop().
#pragma once

#include <cstddef>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "pep3156/coroutine.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/future.hpp"
#include "pep3156/task.hpp"

namespace pep3156 {

/// A Future, a Task or a coroutine: what wait(), gather(), wait_for() and
/// shield() accept (coroutines are wrapped in Tasks; PEP 3156 L128).
///
/// Copyable, so that a braced list works: gather<int>({f, g(), h()}). The
/// copies of one coroutine share it, and only the first ensure_future()
/// gets it: like a Python coroutine object, it runs at most once. (g++ 12
/// rejects a braced list inside a co_await expression: in a coroutine,
/// build the vector first, then co_await wait(std::move(v)).)
template <class T>
class Awaitable {
 public:
  Awaitable(Future<T> future) : source_(std::move(future)) {}    // NOLINT
  Awaitable(Task<T> task) : source_(Future<T>(task.state())) {}  // NOLINT
  Awaitable(Coroutine<T> coroutine)                              // NOLINT
      : source_(std::make_shared<std::optional<Coroutine<T>>>(std::move(coroutine))) {}

  /// PEP 3156 ensure_future(): the Future unchanged, or the coroutine
  /// wrapped in a Task on `loop` (null: the current loop). RuntimeError if
  /// the coroutine was already wrapped through a copy of this Awaitable.
  Future<T> ensure_future(AbstractEventLoop* loop);
  /// The loop of a Future argument, null for a coroutine.
  AbstractEventLoop* loop() const {
    if (auto* f = std::get_if<Future<T>>(&source_)) return &f->get_loop();
    return nullptr;
  }

 private:
  using SharedCoroutine = std::shared_ptr<std::optional<Coroutine<T>>>;
  std::variant<Future<T>, SharedCoroutine> source_;
};

/// PEP 3156's ensure_future() (the PEP's older name: async()).
template <class T>
Future<T> ensure_future(Awaitable<T> awaitable, AbstractEventLoop* loop = nullptr) {
  return awaitable.ensure_future(loop);
}

/// The loop a helper uses when given none (see the file comment).
AbstractEventLoop& resolve_loop(AbstractEventLoop* given, AbstractEventLoop* from_futures);

template <class T>
Future<T> Awaitable<T>::ensure_future(AbstractEventLoop* loop) {
  if (auto* future = std::get_if<Future<T>>(&source_)) return *future;
  auto& coroutine = *std::get<SharedCoroutine>(source_);
  if (!coroutine) throw RuntimeError("ensure_future(): the coroutine was already wrapped in a Task");
  AbstractEventLoop& target = resolve_loop(loop, nullptr);
  Task<T> task = target.create_task(std::move(*coroutine));
  coroutine.reset();
  return task;
}

namespace detail {
/// Copies (or, for move-only T, moves) a done Future's result into a new
/// Value, for helpers that forward one Future's outcome to another.
template <class T>
Value copy_result(FutureBase& done) {
  if constexpr (std::is_void_v<T>) {
    done.result_value();
    return Value();
  } else {
    return Value(take_result<T>(done));
  }
}
using ResultCopier = Value (*)(FutureBase&);

/// Forwards `from`'s outcome (result, exception or cancellation) to `to`
/// unless `to` is already done.
void forward_outcome(FutureBase& from, FutureBase& to, ResultCopier copy);
}  // namespace detail

// --- sleep ---------------------------------------------------------------

/// Completes after `delay` seconds of loop time; other callbacks run
/// meanwhile. sleep(0) yields once to the ready queue.
Coroutine<void> sleep(double delay, AbstractEventLoop* loop = nullptr);

/// sleep() that then returns `result`.
template <class T>
Coroutine<T> sleep(double delay, T result, AbstractEventLoop* loop = nullptr) {
  co_await sleep(delay, loop);
  co_return std::move(result);
}

// --- wait ----------------------------------------------------------------

/// PEP 3148's constants.
enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

struct WaitOptions {
  std::optional<double> timeout = std::nullopt;
  ReturnWhen return_when = ALL_COMPLETED;
};

/// wait()'s (done, pending) pair. Python returns sets: the order within each
/// is unspecified (this implementation keeps the input order).
template <class T>
struct WaitResult {
  std::vector<Future<T>> done;
  std::vector<Future<T>> pending;
};

/// Suspends until `return_when` holds for `futures` or the timeout expires.
/// Neither cancels nor raises on timeout. ValueError if `futures` is empty.
Coroutine<void> wait_until(std::vector<FuturePtr> futures, WaitOptions options, AbstractEventLoop& loop);

template <class T>
Coroutine<WaitResult<T>> wait(std::vector<Awaitable<T>> awaitables, WaitOptions options = {},
                              AbstractEventLoop* loop = nullptr) {
  AbstractEventLoop* from_futures = nullptr;
  for (auto& a : awaitables) from_futures = from_futures ? from_futures : a.loop();
  AbstractEventLoop& target = resolve_loop(loop, from_futures);
  std::vector<Future<T>> futures;
  std::vector<FuturePtr> states;
  for (auto& a : awaitables) {
    futures.push_back(a.ensure_future(&target));
    states.push_back(futures.back().state());
  }
  co_await wait_until(std::move(states), options, target);
  WaitResult<T> result;
  for (auto& f : futures) (f.done() ? result.done : result.pending).push_back(f);
  co_return result;
}

// --- wait_for ------------------------------------------------------------

/// The awaitable's result if it is done within `timeout` seconds; otherwise
/// cancels it and raises TimeoutError. No timeout: waits as long as it takes.
/// Cancelling the waiting Task cancels the awaitable too.
template <class T>
Coroutine<T> wait_for(Awaitable<T> awaitable, std::optional<double> timeout,
                      AbstractEventLoop* loop = nullptr) {
  AbstractEventLoop& target = resolve_loop(loop, awaitable.loop());
  Future<T> future = awaitable.ensure_future(&target);
  if (!timeout) co_return co_await future;
  // The vector is built before the co_await: g++ 12 rejects a braced list
  // inside a co_await expression ("array used as initializer").
  std::vector<FuturePtr> awaited{future.state()};
  try {
    co_await wait_until(std::move(awaited), {.timeout = timeout}, target);
  } catch (const CancelledError&) {
    future.cancel();
    throw;
  }
  if (!future.done()) {
    future.cancel();
    throw TimeoutError("wait_for: timed out");
  }
  co_return co_await future;
}

// --- as_completed --------------------------------------------------------

/// One placeholder per input, in completion order: awaiting the k-th gives
/// the outcome of the k-th input to complete. After `timeout`, the
/// remaining placeholders raise TimeoutError.
std::vector<FuturePtr> as_completed_core(std::vector<FuturePtr> futures, std::optional<double> timeout,
                                         AbstractEventLoop& loop, detail::ResultCopier copy);

template <class T>
std::vector<Future<T>> as_completed(std::vector<Future<T>> futures,
                                    std::optional<double> timeout = std::nullopt,
                                    AbstractEventLoop* loop = nullptr) {
  AbstractEventLoop& target = resolve_loop(loop, futures.empty() ? nullptr : &futures[0].get_loop());
  std::vector<FuturePtr> states;
  for (auto& f : futures) states.push_back(f.state());
  std::vector<Future<T>> placeholders;
  for (auto& p : as_completed_core(std::move(states), timeout, target, &detail::copy_result<T>)) {
    placeholders.emplace_back(std::move(p));
  }
  return placeholders;
}

// --- gather --------------------------------------------------------------

/// The outer Future of gather(): done when every child is; if a child fails
/// first, it gets that exception, or is cancelled if the child was; without
/// return_exceptions. Cancelling it leaves the children alone (decision
/// D-CORO-1, following the PEP's text).
FuturePtr gather_core(std::vector<FuturePtr> children, bool return_exceptions, AbstractEventLoop& loop,
                      UniqueFunction<Value()> collect_results);

/// The results in argument order, whatever the completion order.
template <class T>
Future<std::vector<T>> gather(std::vector<Awaitable<T>> awaitables,
                              AbstractEventLoop* loop = nullptr) requires(!std::is_void_v<T>) {
  AbstractEventLoop* from_futures = nullptr;
  for (auto& a : awaitables) from_futures = from_futures ? from_futures : a.loop();
  AbstractEventLoop& target = resolve_loop(loop, from_futures);
  std::vector<Future<T>> children;
  std::vector<FuturePtr> states;
  for (auto& a : awaitables) {
    children.push_back(a.ensure_future(&target));
    states.push_back(children.back().state());
  }
  return Future<std::vector<T>>(gather_core(std::move(states), false, target, [children] {
    std::vector<T> results;
    for (auto& child : children) results.push_back(detail::take_result<T>(*child.state()));
    return Value(std::move(results));
  }));
}

/// gather(..., return_exceptions=True): never fails because a child did;
/// the result is the (done) children themselves, in argument order, to be
/// inspected one by one.
template <class T>
Future<std::vector<Future<T>>> gather_outcomes(std::vector<Awaitable<T>> awaitables,
                                               AbstractEventLoop* loop = nullptr) {
  AbstractEventLoop* from_futures = nullptr;
  for (auto& a : awaitables) from_futures = from_futures ? from_futures : a.loop();
  AbstractEventLoop& target = resolve_loop(loop, from_futures);
  std::vector<Future<T>> children;
  std::vector<FuturePtr> states;
  for (auto& a : awaitables) {
    children.push_back(a.ensure_future(&target));
    states.push_back(children.back().state());
  }
  return Future<std::vector<Future<T>>>(
      gather_core(std::move(states), true, target, [children] { return Value(children); }));
}

// --- shield ----------------------------------------------------------------

/// A Future that mirrors `awaitable`'s outcome; cancelling it does not
/// cancel the awaitable.
template <class T>
Future<T> shield(Awaitable<T> awaitable, AbstractEventLoop* loop = nullptr) {
  AbstractEventLoop& target = resolve_loop(loop, awaitable.loop());
  Future<T> inner = awaitable.ensure_future(&target);
  if (inner.done()) return inner;
  Future<T> outer(target.create_future());
  std::weak_ptr<FutureBase> weak_outer = outer.state();
  inner.state()->add_done_callback([weak_outer](const FuturePtr& done) {
    if (auto outer_state = weak_outer.lock()) {
      detail::forward_outcome(*done, *outer_state, &detail::copy_result<T>);
    }
  });
  return outer;
}

// --- wrap_future -----------------------------------------------------------

/// PEP 3156 wrap_future(): a Future on `loop` with the outcome of a PEP 3148
/// (here: std::) future, waited for on the loop's default executor.
template <class T>
Future<T> wrap_future(std::future<T> future, AbstractEventLoop* loop = nullptr) {
  return resolve_loop(loop, nullptr).wrap_future(std::move(future));
}
template <class T>
Future<T> wrap_future(std::shared_future<T> future, AbstractEventLoop* loop = nullptr) {
  return resolve_loop(loop, nullptr).wrap_future(std::move(future));
}

}  // namespace pep3156
