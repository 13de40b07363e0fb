// StandardTask: the PEP's Task, driving one coroutine chain from the loop's
// callbacks (PEP 3156, "Tasks" and "Task Cancellation").
#include "pep3156/task.hpp"

#include "pep3156/event_loop.hpp"
#include "pep3156/policy.hpp"

namespace pep3156 {

namespace {
/// The loop of the Task whose step runs on this thread now, if any.
thread_local AbstractEventLoop* stepping_loop = nullptr;

/// Marks `task` as its loop's current Task, and that loop as this thread's
/// stepping loop, for the length of one step. A step may run another
/// loop's run_until_complete(), so the scopes nest.
class CurrentTaskScope {
 public:
  CurrentTaskScope(AbstractEventLoop& loop, FutureBase* task)
      : registry_(loop.tasks()), outer_(stepping_loop) {
    if (registry_.current != nullptr) throw RuntimeError("a Task step started while another Task is running");
    registry_.current = task;
    stepping_loop = &loop;
  }
  ~CurrentTaskScope() {
    registry_.current = nullptr;
    stepping_loop = outer_;
  }
  CurrentTaskScope(const CurrentTaskScope&) = delete;
  CurrentTaskScope& operator=(const CurrentTaskScope&) = delete;

 private:
  TaskRegistry& registry_;
  AbstractEventLoop* outer_;
};

bool is_cancelled_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool is_base_exception(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const BaseException&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

StandardTask::StandardTask(AbstractEventLoop& loop, ErasedCoroutine coroutine)
    : StandardFuture(loop), coroutine_(std::move(coroutine)) {
  coroutine_.promise().driver = this;
  resume_at_ = coroutine_.handle();
}

StandardTask::~StandardTask() = default;

std::shared_ptr<StandardTask> StandardTask::start(AbstractEventLoop& loop, ErasedCoroutine coroutine) {
  auto task = std::make_shared<StandardTask>(loop, std::move(coroutine));
  launch(task);
  return task;
}

void StandardTask::launch(const std::shared_ptr<StandardTask>& task) {
  task->get_loop().tasks().add(task);
  task->schedule_step();
}

bool StandardTask::cancel() {
  if (done()) return false;
  // Cancelling the awaited Future wakes us with it cancelled, so the awaiter
  // throws CancelledError at the suspension point.
  if (awaiting_ && awaiting_->cancel()) return true;
  must_cancel_ = true;
  return true;
}

void StandardTask::suspend_until_done(const FuturePtr& awaited, std::coroutine_handle<> resume_at) {
  awaiting_ = awaited;
  resume_at_ = resume_at;
  std::weak_ptr<StandardTask> weak = std::static_pointer_cast<StandardTask>(shared_from_this());
  awaited->add_done_callback([weak](const FuturePtr&) {
    if (auto task = weak.lock()) {
      task->awaiting_.reset();
      task->step();
    }
  });
  if (must_cancel_ && awaiting_->cancel()) must_cancel_ = false;
}

void StandardTask::suspend_until_next_step(std::coroutine_handle<> resume_at) {
  resume_at_ = resume_at;
  schedule_step();
}

void StandardTask::on_resume() {
  if (cancel_now_) {
    cancel_now_ = false;
    throw CancelledError();
  }
}

void StandardTask::schedule_step() {
  std::weak_ptr<StandardTask> weak = std::static_pointer_cast<StandardTask>(shared_from_this());
  get_loop().call_soon([weak] {
    if (auto task = weak.lock()) task->step();
  });
}

void StandardTask::step() {
  if (done()) return;
  auto keep_alive = shared_from_this();
  if (must_cancel_) {
    must_cancel_ = false;
    if (!started_) {
      // Cancelled before it ever ran: the coroutine body never starts.
      coroutine_.destroy();
      get_loop().tasks().remove(this);
      StandardFuture::cancel();
      return;
    }
    cancel_now_ = true;
  }
  started_ = true;
  {
    CurrentTaskScope scope(get_loop(), this);
    std::exchange(resume_at_, nullptr).resume();
  }
  if (coroutine_.done()) finish_from_coroutine();
}

void StandardTask::finish_from_coroutine() {
  std::exception_ptr failure = coroutine_.promise().exception;
  get_loop().tasks().remove(this);
  if (failure && is_cancelled_error(failure)) {
    coroutine_.destroy();
    StandardFuture::cancel();  // PEP: "the task will be marked as cancelled"
    return;
  }
  coroutine_.promise().deliver_to(*this);
  coroutine_.destroy();
  // BaseException is "typically not caught": after recording it, let it
  // propagate out of the loop (decision D-ERR-1). Whoever runs the loop
  // receives it, so it is not "never retrieved".
  if (failure && is_base_exception(failure)) {
    exception();
    std::rethrow_exception(failure);
  }
}

void StandardTask::abandon() noexcept { coroutine_.destroy(); }

// --- TaskRegistry -----------------------------------------------------------

void TaskRegistry::add(FuturePtr task) {
  const FutureBase* key = task.get();
  tasks_.emplace(key, std::move(task));
}

void TaskRegistry::remove(const FutureBase* task) noexcept {
  // The node, and so maybe the Task, goes only once the map is consistent
  // again: the caller may be the Task's own step().
  auto node = tasks_.extract(task);
}

std::vector<FuturePtr> TaskRegistry::pending() const {
  std::vector<FuturePtr> result;
  for (const auto& [key, task] : tasks_) {
    if (!task->done()) result.push_back(task);
  }
  return result;
}

void TaskRegistry::clear() noexcept {
  // Destroying a frame may destroy other Tasks, or even start new ones: move
  // the list out first so the registry is consistent while that happens.
  while (!tasks_.empty()) {
    auto tasks = std::move(tasks_);
    tasks_.clear();
    // A Task someone still references outlives the loop, but its frame must
    // not: a frame's locals may talk to the loop as they are destroyed.
    for (auto& [key, task] : tasks) {
      if (auto* standard = dynamic_cast<StandardTask*>(task.get())) standard->abandon();
    }
  }
}

AbstractEventLoop& default_loop() { return stepping_loop != nullptr ? *stepping_loop : *get_event_loop(); }

FuturePtr current_task(AbstractEventLoop* loop) {
  AbstractEventLoop& target = loop ? *loop : default_loop();
  FutureBase* current = target.tasks().current;
  return current ? current->shared_from_this() : nullptr;
}

std::vector<FuturePtr> all_tasks(AbstractEventLoop* loop) {
  AbstractEventLoop& target = loop ? *loop : default_loop();
  return target.tasks().pending();
}

}  // namespace pep3156
