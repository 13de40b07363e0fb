// Mutants of thread interaction.
#include <deque>
#include <mutex>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;
using pep3156::HandleState;
using pep3156::TimerHandle;

/// call_soon_threadsafe() queues the callback without waking the loop: it
/// runs only when something else wakes the loop (the classic missing
/// self-pipe).
class ThreadsafeNoWakeup final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_at;
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::call_soon_threadsafe;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon_threadsafe(Callback callback) override {
    auto state = std::make_shared<HandleState>(std::move(callback));
    std::lock_guard lock(mutex_);
    posted_.push_back(state);
    return Handle(state);
  }
  Handle call_soon(Callback callback) override {
    return inner().call_soon(after_posted(std::move(callback)));
  }
  TimerHandle call_at(double when, Callback callback) override {
    return inner().call_at(when, after_posted(std::move(callback)));
  }

 private:
  Callback after_posted(Callback callback) {
    return [this, callback = std::move(callback)]() mutable {
      run_posted();
      callback();
    };
  }
  void run_posted() {
    std::deque<std::shared_ptr<HandleState>> posted;
    {
      std::lock_guard lock(mutex_);
      posted.swap(posted_);
    }
    for (auto& state : posted) state->run();
  }
  std::mutex mutex_;
  std::deque<std::shared_ptr<HandleState>> posted_;
};
LOOPCERT_MUTANT({"threadsafe_no_wakeup", Expect::caught, "LOOP-THREADSAFE-WAKEUP",
                 "call_soon_threadsafe() does not wake a loop blocked polling", wrap<ThreadsafeNoWakeup>});

}  // namespace
}  // namespace conformance::selftest
