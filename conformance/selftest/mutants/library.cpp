// Mutants of the Futures and Tasks a loop supplies (create_future(), the
// task factory; decision D-TF-1), and of the scheduling they rely on. A
// loop's own Future is modelled as a proxy over a correct one, as an
// adapter that wraps a foreign future type would write it; each mutant
// gets one thing about it wrong.
#include <memory>
#include <utility>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::CallbackId;
using pep3156::DoneCallback;
using pep3156::ErasedCoroutine;
using pep3156::FutureBase;
using pep3156::FuturePtr;
using pep3156::Value;

/// A loop's own Future type, done right: every call goes to a correct
/// Future, and done-callbacks receive the proxy itself.
class ProxyFuture : public FutureBase {
 public:
  explicit ProxyFuture(FuturePtr inner) : inner_(std::move(inner)) {}

  bool cancel() override { return inner_->cancel(); }
  bool cancelled() const override { return inner_->cancelled(); }
  bool done() const override { return inner_->done(); }
  Value& result_value() override { return inner_->result_value(); }
  std::exception_ptr exception() override { return inner_->exception(); }
  CallbackId add_done_callback(DoneCallback fn) override {
    // Weakly: the proxy owns the inner Future, not the other way round.
    return inner_->add_done_callback([self = weak_from_this(), fn = std::move(fn)](const FuturePtr&) mutable {
      if (auto proxy = self.lock()) fn(proxy);
    });
  }
  std::size_t remove_done_callback(CallbackId id) override { return inner_->remove_done_callback(id); }
  void set_result_value(Value result) override { inner_->set_result_value(std::move(result)); }
  void set_exception(std::exception_ptr exception) override { inner_->set_exception(std::move(exception)); }
  pep3156::AbstractEventLoop& get_loop() const override { return inner_->get_loop(); }

 protected:
  FutureBase& inner() const { return *inner_; }

 private:
  FuturePtr inner_;
};

/// A loop whose create_future() returns `Proxy` over the standard Future.
template <class Proxy>
class OwnFutures final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::create_future;
  using ForwardingEventLoop::ForwardingEventLoop;
  FuturePtr create_future() override {
    return std::make_shared<Proxy>(std::make_shared<pep3156::StandardFuture>(*this));
  }
};

LOOPCERT_MUTANT({"own_futures", Expect::tolerated, "LOOP-CREATE-FUTURE",
                 "create_future() returns the loop's own (correct) Future type",
                 wrap<OwnFutures<ProxyFuture>>});

/// Passes done-callbacks the Future it wraps instead of itself.
class CallbackGetsInner final : public ProxyFuture {
 public:
  using ProxyFuture::ProxyFuture;
  CallbackId add_done_callback(DoneCallback fn) override { return inner().add_done_callback(std::move(fn)); }
};
LOOPCERT_MUTANT({"future_callback_gets_inner", Expect::caught, "FUT-CALLBACK-ONE-ARG",
                 "done-callbacks receive the wrapped Future, not the loop's own",
                 wrap<OwnFutures<CallbackGetsInner>>});

/// cancel() makes the Future cancelled but drops its done-callbacks.
class CancelDropsCallbacks final : public ProxyFuture {
 public:
  using ProxyFuture::ProxyFuture;
  bool cancel() override {
    if (!done()) cancelled_by_us_ = true;
    return ProxyFuture::cancel();
  }
  CallbackId add_done_callback(DoneCallback fn) override {
    return ProxyFuture::add_done_callback(
        [this_future = this, fn = std::move(fn)](const FuturePtr& done) mutable {
          if (!this_future->cancelled_by_us_) fn(done);
        });
  }

 private:
  bool cancelled_by_us_ = false;
};
LOOPCERT_MUTANT({"future_cancel_drops_callbacks", Expect::caught, "FUT-CANCEL-PENDING",
                 "cancel() does not schedule the done-callbacks", wrap<OwnFutures<CancelDropsCallbacks>>});

/// cancel() returns True even on a done Future.
class CancelAlwaysTrue final : public ProxyFuture {
 public:
  using ProxyFuture::ProxyFuture;
  bool cancel() override {
    ProxyFuture::cancel();
    return true;
  }
};
LOOPCERT_MUTANT({"future_cancel_always_true", Expect::caught, "FUT-CANCEL-DONE-RETURNS-FALSE",
                 "cancel() returns True on a done Future", wrap<OwnFutures<CancelAlwaysTrue>>});

/// set_result() and set_exception() on a done Future do nothing instead of
/// raising InvalidStateError.
class LaxSetters final : public ProxyFuture {
 public:
  using ProxyFuture::ProxyFuture;
  void set_result_value(Value result) override {
    if (!done()) ProxyFuture::set_result_value(std::move(result));
  }
  void set_exception(std::exception_ptr exception) override {
    if (!done()) ProxyFuture::set_exception(std::move(exception));
  }
};
LOOPCERT_MUTANT({"future_setters_lax", Expect::caught, "FUT-INVALID-STATE",
                 "set_result() on a done Future is silently ignored", wrap<OwnFutures<LaxSetters>>});

/// Never reports an exception nobody retrieved.
class SilentUnretrieved final : public ProxyFuture {
 public:
  using ProxyFuture::ProxyFuture;
  ~SilentUnretrieved() override {
    if (done() && !cancelled()) static_cast<void>(inner().exception());  // marks it retrieved
  }
};
LOOPCERT_MUTANT({"future_unretrieved_silent", Expect::caught, "FUT-UNRETRIEVED-EXCEPTION-LOGGED",
                 "an exception never retrieved is never reported", wrap<OwnFutures<SilentUnretrieved>>});

/// call_soon() from inside a running callback calls the callback at once
/// (a tempting shortcut: "we are on the loop's thread already").
class CallSoonInlineWhileRunning final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  pep3156::Handle call_soon(pep3156::Callback callback) override {
    if (!is_running()) return inner().call_soon(std::move(callback));
    auto state = std::make_shared<pep3156::HandleState>(std::move(callback));
    state->run();
    return pep3156::Handle(state);
  }
};
LOOPCERT_MUTANT(
    {"callsoon_inline_while_running", Expect::caught, "FUT-CALLBACK-NEVER-IMMEDIATE",
     "call_soon() from a running callback calls at once, so done-callbacks run inside set_result()",
     wrap<CallSoonInlineWhileRunning>});

/// The task factory runs the first step of a Task inside create_task()
/// (Python 3.12's eager tasks), before the loop runs.
class EagerTasks final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  explicit EagerTasks(LoopPtr inner) : ForwardingEventLoop(std::move(inner)) {
    set_task_factory([this](pep3156::AbstractEventLoop& loop, ErasedCoroutine coroutine) {
      eager_ = true;  // the first call_soon(): the Task's first step
      return FuturePtr(pep3156::StandardTask::start(loop, std::move(coroutine)));
    });
  }
  pep3156::Handle call_soon(pep3156::Callback callback) override {
    if (!std::exchange(eager_, false)) return ForwardingEventLoop::call_soon(std::move(callback));
    auto state = std::make_shared<pep3156::HandleState>(std::move(callback));
    state->run();
    return pep3156::Handle(state);
  }

 private:
  bool eager_ = false;
};
LOOPCERT_MUTANT({"eager_task_start", Expect::caught, "CORO-ONLY-WHEN-LOOP-RUNS",
                 "create_task() runs the coroutine's first step at once, loop running or not",
                 wrap<EagerTasks>});

/// A loop whose task factory wraps each standard Task in `Proxy`.
template <class Proxy>
class ProxiedTasks final : public pep3156::ForwardingEventLoop {
 public:
  explicit ProxiedTasks(LoopPtr inner) : ForwardingEventLoop(std::move(inner)) {
    set_task_factory([](pep3156::AbstractEventLoop& loop, ErasedCoroutine coroutine) {
      return FuturePtr(std::make_shared<Proxy>(pep3156::StandardTask::start(loop, std::move(coroutine))));
    });
  }
};

/// A Task whose cancel() says True and does nothing: the coroutine never
/// hears of it.
class CancelIgnoredTask final : public ProxyFuture {
 public:
  using ProxyFuture::ProxyFuture;
  bool cancel() override { return !done(); }
};
LOOPCERT_MUTANT({"task_cancel_ignored", Expect::caught, "TASK-CANCEL-THROWS",
                 "the task factory's Tasks return True from cancel() and never throw CancelledError",
                 wrap<ProxiedTasks<CancelIgnoredTask>>});

}  // namespace
}  // namespace conformance::selftest
