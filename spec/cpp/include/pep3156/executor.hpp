// Executors (PEP 3156, run_in_executor(); PEP 3148's Executor).
//
// An Executor runs work on other threads. run_in_executor() submits a call
// and resolves a Future on the loop (through call_soon_threadsafe()) with
// its outcome. ThreadPoolExecutor is the default executor every loop
// creates on first use.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "pep3156/unique_function.hpp"

namespace pep3156 {

class Executor {
 public:
  virtual ~Executor() = default;
  /// Runs `work` on some thread, eventually. RuntimeError after shutdown().
  virtual void submit(UniqueFunction<void()> work) = 0;
  /// No more submissions; with `wait`, returns once queued work has run.
  virtual void shutdown(bool wait = true) = 0;
};

/// A fixed pool of threads consuming one FIFO queue.
class ThreadPoolExecutor final : public Executor {
 public:
  /// The default executor's size. PEP 3156 leaves it open ("a
  /// ThreadPoolExecutor with a default number of threads"); 5 is the
  /// reference implementation's ("The default implementation uses 5
  /// threads in this case"; decision D-THR-2).
  static constexpr std::size_t kDefaultWorkers = 5;

  explicit ThreadPoolExecutor(std::size_t max_workers = kDefaultWorkers);
  ~ThreadPoolExecutor() override;

  void submit(UniqueFunction<void()> work) override;
  void shutdown(bool wait = true) override;

 private:
  /// What the workers share with the executor. Held by shared_ptr so that a
  /// worker detached at shutdown(wait=false) never outlives it.
  struct Queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<UniqueFunction<void()>> work;
    std::size_t idle = 0;
    bool shut_down = false;
  };
  static void work_loop(const std::shared_ptr<Queue>& queue);

  const std::size_t max_workers_;
  std::shared_ptr<Queue> queue_ = std::make_shared<Queue>();
  std::vector<std::thread> workers_;  // guarded by queue_->mutex
};

}  // namespace pep3156
