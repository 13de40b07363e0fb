#include "pep3156/executor.hpp"

#include "pep3156/errors.hpp"

namespace pep3156 {

ThreadPoolExecutor::ThreadPoolExecutor(std::size_t max_workers)
    : max_workers_(max_workers == 0 ? 1 : max_workers) {}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

void ThreadPoolExecutor::submit(UniqueFunction<void()> work) {
  {
    std::lock_guard lock(queue_->mutex);
    if (queue_->shut_down) throw RuntimeError("submit(): the executor is shut down");
    queue_->work.push_back(std::move(work));
    // A thread starts only when no idle one can take the work, up to
    // max_workers_.
    if (queue_->idle < queue_->work.size() && workers_.size() < max_workers_) {
      workers_.emplace_back([queue = queue_] { work_loop(queue); });
    }
  }
  queue_->ready.notify_one();
}

void ThreadPoolExecutor::work_loop(const std::shared_ptr<Queue>& queue) {
  std::unique_lock lock(queue->mutex);
  for (;;) {
    ++queue->idle;
    queue->ready.wait(lock, [&] { return queue->shut_down || !queue->work.empty(); });
    --queue->idle;
    if (queue->work.empty()) return;  // shut down and drained
    auto work = std::move(queue->work.front());
    queue->work.pop_front();
    lock.unlock();
    work();  // the work catches its own exceptions (run_in_executor does)
    work = nullptr;
    lock.lock();
  }
}

void ThreadPoolExecutor::shutdown(bool wait) {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(queue_->mutex);
    queue_->shut_down = true;
    workers.swap(workers_);
  }
  queue_->ready.notify_all();
  for (auto& worker : workers) {
    // A worker may drop the last reference to the loop that owns this
    // executor, and so call shutdown() itself: it cannot join itself.
    if (wait && worker.get_id() != std::this_thread::get_id()) {
      worker.join();
    } else {
      worker.detach();
    }
  }
}

}  // namespace pep3156
