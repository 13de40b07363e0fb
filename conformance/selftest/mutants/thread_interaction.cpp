// Mutants of call_soon_threadsafe() under concurrency and of the default
// executor.
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Executor;
using pep3156::FuturePtr;
using pep3156::Handle;
using pep3156::HandleState;
using pep3156::UniqueFunction;
using pep3156::Value;

/// call_soon_threadsafe() with a lost update: each post copies the pending
/// list, adds itself, and writes the copy back, with nothing to stop two
/// threads doing so at once. One thread at a time works; concurrent posts
/// overwrite each other (callbacks lost, or run twice).
class ThreadsafeLostUpdates final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon_threadsafe;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon_threadsafe(Callback callback) override {
    auto state = std::make_shared<HandleState>(std::move(callback));
    Pending copy = read();
    std::this_thread::yield();  // the window another poster falls into
    copy.push_back(state);
    write(std::move(copy));
    inner().call_soon_threadsafe([this] { run_pending(); });
    return Handle(state);
  }

 private:
  using Pending = std::vector<std::shared_ptr<HandleState>>;
  Pending read() {
    std::lock_guard lock(mutex_);
    return pending_;
  }
  void write(Pending pending) {
    std::lock_guard lock(mutex_);
    pending_ = std::move(pending);
  }
  void run_pending() {
    Pending batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(pending_);
    }
    for (auto& state : batch) state->run();
  }
  std::mutex mutex_;  // guards each read and write, not the update as a whole
  Pending pending_;
};
LOOPCERT_MUTANT({"threadsafe_lost_updates", Expect::caught, "LOOP-THREADSAFE-ONLY",
                 "call_soon_threadsafe() loses or repeats callbacks posted by several threads at once",
                 wrap<ThreadsafeLostUpdates>});

/// run_in_executor(None, ...) ignores set_default_executor(): it always
/// uses a pool of its own.
class DefaultExecutorIgnored final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  using ForwardingEventLoop::run_in_executor;
  FuturePtr run_in_executor(std::shared_ptr<Executor> executor, UniqueFunction<Value()> work) override {
    return ForwardingEventLoop::run_in_executor(executor ? executor : own_, std::move(work));
  }
  ~DefaultExecutorIgnored() override { own_->shutdown(true); }

 private:
  std::shared_ptr<Executor> own_ = std::make_shared<pep3156::ThreadPoolExecutor>(2);
};
LOOPCERT_MUTANT({"default_executor_ignored", Expect::caught, "LOOP-EXECUTOR-DEFAULT",
                 "run_in_executor(None, ...) ignores the executor set with set_default_executor()",
                 wrap<DefaultExecutorIgnored>});

}  // namespace
}  // namespace conformance::selftest
