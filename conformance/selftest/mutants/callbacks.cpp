// Mutants of the basic callbacks: order, scheduling, cancellation, mutual
// exclusion.
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;
using pep3156::HandleState;

/// Batches call_soon() callbacks and runs each batch last-scheduled first.
class CallSoonLifo final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    auto state = std::make_shared<HandleState>(std::move(callback));
    if (batch_.empty()) inner().call_soon([this] { run_batch_backwards(); });
    batch_.push_back(state);
    return Handle(state);
  }

 private:
  void run_batch_backwards() {
    auto batch = std::move(batch_);
    batch_.clear();
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) (*it)->run();
  }
  std::vector<std::shared_ptr<HandleState>> batch_;
};
LOOPCERT_MUTANT({"callsoon_lifo", Expect::caught, "LOOP-CALLSOON-FIFO",
                 "runs call_soon() callbacks last-scheduled first", wrap<CallSoonLifo>});

/// Calls the callback inside call_soon() instead of scheduling it.
class CallSoonSynchronous final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    auto state = std::make_shared<HandleState>(std::move(callback));
    state->run();
    return Handle(state);
  }
};
LOOPCERT_MUTANT({"callsoon_synchronous", Expect::caught, "LOOP-CALLSOON-SCHEDULES",
                 "calls the callback inside call_soon()", wrap<CallSoonSynchronous>});

/// Returns a Handle unrelated to the scheduled callback: cancel() does nothing.
class CancelIgnored final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    inner().call_soon(std::move(callback));
    return Handle(std::make_shared<HandleState>(nullptr));
  }
};
LOOPCERT_MUTANT({"handle_cancel_ignored", Expect::caught, "LOOP-CALLSOON-HANDLE",
                 "call_soon()'s Handle does not cancel the callback", wrap<CancelIgnored>});

/// Runs call_soon_threadsafe() callbacks at once, on the calling thread:
/// they overlap whatever callback the loop is running.
class ThreadsafeRunsOnCaller final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon_threadsafe;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon_threadsafe(Callback callback) override {
    auto state = std::make_shared<HandleState>(std::move(callback));
    state->run();
    return Handle(state);
  }
};
LOOPCERT_MUTANT({"threadsafe_runs_on_caller", Expect::caught, "LOOP-CALLBACKS-SERIALIZED",
                 "runs call_soon_threadsafe() callbacks on the calling thread",
                 wrap<ThreadsafeRunsOnCaller>});

}  // namespace
}  // namespace conformance::selftest
