// "For Tasks ... the task may ignore or delay the cancellation attempt"
// (FUT-CANCEL-PENDING, decision D-CORO-6): a loop whose Tasks deliver a
// cancellation one loop iteration after cancel().
#include "../mutant.hpp"
#include "pep3156/task.hpp"

namespace conformance::selftest {
namespace {

using pep3156::ErasedCoroutine;
using pep3156::FuturePtr;

/// The standard Task itself (so current_task() and all_tasks() see the very
/// object create_task() returned), with cancel() passed on one iteration
/// late: a Task cancelled before its first step runs that step first.
class CancelDelayedTask final : public pep3156::StandardTask {
 public:
  using StandardTask::StandardTask;

  static FuturePtr start(pep3156::AbstractEventLoop& loop, ErasedCoroutine coroutine) {
    auto task = std::make_shared<CancelDelayedTask>(loop, std::move(coroutine));
    launch(task);
    return task;
  }

  bool cancel() override {
    if (done()) return false;
    get_loop().call_soon([self = std::weak_ptr<FutureBase>(weak_from_this())] {
      if (auto task = self.lock()) std::static_pointer_cast<CancelDelayedTask>(task)->StandardTask::cancel();
    });
    return true;
  }
};

class CancelDelayedTasks final : public pep3156::ForwardingEventLoop {
 public:
  explicit CancelDelayedTasks(LoopPtr inner) : ForwardingEventLoop(std::move(inner)) {
    set_task_factory(&CancelDelayedTask::start);
  }
};
LOOPCERT_MUTANT({"task_cancel_delayed", Expect::tolerated, "FUT-CANCEL-PENDING",
                 "the loop's Tasks deliver a cancellation one loop iteration after cancel()",
                 wrap<CancelDelayedTasks>});

}  // namespace
}  // namespace conformance::selftest
