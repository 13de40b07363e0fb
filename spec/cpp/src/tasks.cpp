// The coroutine helpers that need no knowledge of T.
#include "pep3156/tasks.hpp"

namespace pep3156 {

AbstractEventLoop& resolve_loop(AbstractEventLoop* given, AbstractEventLoop* from_futures) {
  if (given != nullptr) return *given;
  if (from_futures != nullptr) return *from_futures;
  return default_loop();
}

namespace detail {
void forward_outcome(FutureBase& from, FutureBase& to, ResultCopier copy) {
  if (to.done()) {
    // Nobody waits for this outcome any more (the receiver was cancelled):
    // an exception in it is not "never retrieved", as asyncio's shield()
    // decides too.
    if (!from.cancelled()) from.exception();
    return;
  }
  if (from.cancelled()) {
    to.cancel();
  } else if (auto exception = from.exception()) {
    to.set_exception(exception);
  } else {
    to.set_result_value(copy(from));
  }
}
}  // namespace detail

Coroutine<void> sleep(double delay, AbstractEventLoop* loop) {
  AbstractEventLoop& target = resolve_loop(loop, nullptr);
  if (delay <= 0) {
    co_await yield_now();
    co_return;
  }
  Future<void> timer_done(target.create_future());
  TimerHandle timer = target.call_later(delay, [timer_done] {
    if (!timer_done.done()) timer_done.set_result();
  });
  try {
    co_await timer_done;
  } catch (...) {
    timer.cancel();  // cancelled: do not leave the timer behind
    throw;
  }
}

namespace {
bool finished_with_exception(FutureBase& f) { return f.done() && !f.cancelled() && f.exception() != nullptr; }

bool condition_met(const std::vector<FuturePtr>& futures, ReturnWhen when) {
  std::size_t done = 0;
  for (const auto& f : futures) {
    if (!f->done()) continue;
    ++done;
    if (when == FIRST_COMPLETED) return true;
    if (when == FIRST_EXCEPTION && finished_with_exception(*f)) return true;
  }
  return done == futures.size();
}
}  // namespace

Coroutine<void> wait_until(std::vector<FuturePtr> futures, WaitOptions options, AbstractEventLoop& loop) {
  if (futures.empty()) throw ValueError("wait(): set of Futures is empty");
  if (condition_met(futures, options.return_when)) co_return;
  if (options.timeout && *options.timeout <= 0) co_return;

  // One waiter Future, resolved by whichever comes first: the condition
  // (checked as each pending input completes) or the timeout. The inputs'
  // callbacks share a counter, not the inputs, so no cycle forms.
  struct Progress {
    Future<void> waiter;
    ReturnWhen when;
    std::size_t remaining;
    void release() {
      if (!waiter.done()) waiter.set_result();
    }
  };
  auto progress =
      std::make_shared<Progress>(Progress{Future<void>(loop.create_future()), options.return_when, 0});
  TimerHandle timeout;
  if (options.timeout) timeout = loop.call_later(*options.timeout, [progress] { progress->release(); });
  std::vector<std::pair<FuturePtr, CallbackId>> registrations;
  for (const auto& f : futures) {
    if (f->done()) continue;
    ++progress->remaining;
    registrations.emplace_back(f, f->add_done_callback([progress](const FuturePtr& done) {
      --progress->remaining;
      if (progress->remaining == 0 || progress->when == FIRST_COMPLETED ||
          (progress->when == FIRST_EXCEPTION && finished_with_exception(*done))) {
        progress->release();
      }
    }));
  }
  std::exception_ptr failure;
  try {
    co_await progress->waiter;
  } catch (...) {
    failure = std::current_exception();
  }
  timeout.cancel();
  for (auto& [f, id] : registrations) f->remove_done_callback(id);
  if (failure) std::rethrow_exception(failure);
}

std::vector<FuturePtr> as_completed_core(std::vector<FuturePtr> futures, std::optional<double> timeout,
                                         AbstractEventLoop& loop, detail::ResultCopier copy) {
  // The k-th placeholder receives the outcome of the k-th input to finish.
  // Ownership runs one way, so that placeholders dropped before every input
  // completes leave nothing behind: each pending placeholder owns the state
  // (through a done-callback); the state, the inputs and the timer refer
  // onwards weakly.
  struct State {
    std::vector<std::weak_ptr<FutureBase>> placeholders;
    std::size_t next = 0;
    TimerHandle timeout;

    bool finished() const { return next == placeholders.size(); }
    /// The placeholder for the next outcome; null if nobody holds it now.
    FuturePtr take_next() { return placeholders[next++].lock(); }
  };
  auto state = std::make_shared<State>();
  std::vector<FuturePtr> placeholders;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    placeholders.push_back(loop.create_future());
    placeholders.back()->add_done_callback([state](const FuturePtr&) {});
    state->placeholders.push_back(placeholders.back());
  }
  std::weak_ptr<State> weak = state;
  for (const auto& f : futures) {
    f->add_done_callback([weak, copy](const FuturePtr& done) {
      auto s = weak.lock();
      if (!s || s->finished()) return;
      if (auto placeholder = s->take_next()) detail::forward_outcome(*done, *placeholder, copy);
      if (s->finished()) s->timeout.cancel();
    });
  }
  if (timeout && !futures.empty()) {
    state->timeout = loop.call_later(*timeout, [weak] {
      auto s = weak.lock();
      while (s && !s->finished()) {
        auto placeholder = s->take_next();
        if (placeholder && !placeholder->done()) {
          placeholder->set_exception(std::make_exception_ptr(TimeoutError("as_completed: timed out")));
        }
      }
    });
  }
  return placeholders;
}

FuturePtr gather_core(std::vector<FuturePtr> children, bool return_exceptions, AbstractEventLoop& loop,
                      UniqueFunction<Value()> collect_results) {
  struct State {
    std::size_t remaining;
    bool return_exceptions;
    UniqueFunction<Value()> collect;
  };
  FuturePtr outer = loop.create_future();
  if (children.empty()) {
    outer->set_result_value(collect_results());
    return outer;
  }
  auto state = std::make_shared<State>(State{children.size(), return_exceptions, std::move(collect_results)});
  // The outer Future owns the state, through a done-callback; children hold
  // both weakly, so an abandoned gather() costs nothing and leaks nothing.
  outer->add_done_callback([state](const FuturePtr&) {});
  std::weak_ptr<State> weak_state = state;
  std::weak_ptr<FutureBase> weak_outer = outer;
  for (const auto& child : children) {
    child->add_done_callback([weak_state, weak_outer](const FuturePtr& done) {
      auto o = weak_outer.lock();
      if (!o) return;
      if (o->done()) {
        // The outer Future already failed or was cancelled; an exception
        // here is not "never retrieved" (asyncio's gather decides so too).
        if (!done->cancelled()) done->exception();
        return;
      }
      auto s = weak_state.lock();  // alive: the pending outer owns it
      --s->remaining;
      if (!s->return_exceptions) {
        // PEP 3156: the outer Future is cancelled or gets the exception,
        // "matching what happened to the first argument" that failed.
        if (done->cancelled()) {
          o->cancel();
          return;
        }
        if (auto e = done->exception()) {
          o->set_exception(e);
          return;
        }
      }
      if (s->remaining == 0) {
        try {
          o->set_result_value(s->collect());
        } catch (...) {
          o->set_exception(std::current_exception());
        }
      }
    });
  }
  return outer;
}

}  // namespace pep3156
