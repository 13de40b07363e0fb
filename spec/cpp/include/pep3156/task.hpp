// Tasks (PEP 3156, "Tasks").
//
// A Task is a Future that drives a coroutine: it runs the coroutine's code
// from the loop's callbacks, parks it while it awaits a Future, and takes
// its outcome as the Task's own. "Task is a subclass of Future", and so is
// Task<T> of Future<T> here.
//
// Cancellation (PEP 3156, "Task Cancellation"): cancel() on a Task that is
// waiting for a Future cancels that Future, which wakes the Task and throws
// CancelledError into the coroutine at its suspension point; if nothing is
// awaited right now, the CancelledError is thrown at the next suspension
// point. The coroutine may catch it; then cancel() returned True and yet the
// Task is not cancelled. A Task cancelled before its first step never runs.
//
// Ownership: the loop keeps every pending Task alive (TaskRegistry), so a
// Task nobody references still runs to completion, and every pending Task's
// frame is destroyed with the loop, even if someone still holds the Task
// (which then stays pending). Done-callbacks that wake a Task hold it
// weakly, so no cycle outlives the loop.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "pep3156/coroutine.hpp"
#include "pep3156/future.hpp"

namespace pep3156 {

/// The PEP's Task: one implementation shared by every loop. A loop's own
/// Task type may derive from it to change what the PEP leaves to the Task
/// (when a cancellation is delivered: "the task may ignore or delay the
/// cancellation attempt"), and start itself with launch().
class StandardTask : public StandardFuture, public CoroutineDriver {
 public:
  /// Prefer loop.create_task(); this constructor does not schedule anything.
  StandardTask(AbstractEventLoop& loop, ErasedCoroutine coroutine);
  ~StandardTask() override;

  /// Schedules the first step and registers the Task with its loop.
  static std::shared_ptr<StandardTask> start(AbstractEventLoop& loop, ErasedCoroutine coroutine);

  bool cancel() override;

  // CoroutineDriver
  AbstractEventLoop& driver_loop() const override { return get_loop(); }
  void suspend_until_done(const FuturePtr& awaited, std::coroutine_handle<> resume_at) override;
  void suspend_until_next_step(std::coroutine_handle<> resume_at) override;
  void on_resume() override;

 protected:
  /// Registers `task` with its loop and schedules its first step: start()
  /// for a Task of a derived type.
  static void launch(const std::shared_ptr<StandardTask>& task);

 private:
  friend class TaskRegistry;

  void schedule_step();
  void step();
  void finish_from_coroutine();
  /// For the registry, as the loop goes: destroys the coroutine chain now.
  /// The Task stays pending.
  void abandon() noexcept;

  ErasedCoroutine coroutine_;
  std::coroutine_handle<> resume_at_;  // where the next step resumes
  FuturePtr awaiting_;                 // the Future the coroutine waits for
  bool started_ = false;               // the coroutine body has begun
  bool must_cancel_ = false;           // a cancel() the awaited Future did not carry
  bool cancel_now_ = false;            // throw CancelledError at this resumption
};

/// A typed reference to a Task.
template <class T = void>
class Task : public Future<T> {
 public:
  Task() = default;
  explicit Task(FuturePtr state) noexcept : Future<T>(std::move(state)) {}
};

/// The loop's pending Tasks and the one running now (Task.current_task() and
/// Task.all_tasks() in the PEP). Every loop has one; Tasks maintain it.
class TaskRegistry {
 public:
  void add(FuturePtr task);
  void remove(const FutureBase* task) noexcept;
  /// Every Task not yet done (decision D-CORO-3: "active" means pending).
  std::vector<FuturePtr> pending() const;
  /// Releases every pending Task (and so their coroutine frames).
  void clear() noexcept;

  FutureBase* current = nullptr;

 private:
  // Keyed by address: a loop may run many thousands of Tasks, and each one
  // leaves the registry as it finishes.
  std::unordered_map<const FutureBase*, FuturePtr> tasks_;
};

/// The loop an API uses when given none (PEP 3156, "Passing an Event Loop
/// Around Explicitly"): inside a Task, the loop running it (decision
/// D-POLICY-3); elsewhere get_event_loop().
AbstractEventLoop& default_loop();

/// The Task running now on `loop` (default: default_loop()), or null.
FuturePtr current_task(AbstractEventLoop* loop = nullptr);

/// Every pending Task of `loop` (default: default_loop()).
std::vector<FuturePtr> all_tasks(AbstractEventLoop* loop = nullptr);

}  // namespace pep3156
