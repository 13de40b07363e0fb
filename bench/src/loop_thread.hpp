// A loop running on a thread of its own, for the probes in which another
// thread talks to it: the ping-pong peer, the wake-up poster. The loop must
// be set up (add_reader ...) before the thread starts: from then on only
// call_soon_threadsafe() may reach it from outside.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <thread>

#include "pep3156/event_loop.hpp"

namespace loopbench {

class LoopThread {
 public:
  /// Starts loop.run_forever() on a new thread.
  explicit LoopThread(pep3156::AbstractEventLoop& loop);
  /// Stops the loop (through call_soon_threadsafe()) and joins the thread.
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  /// The kernel's id of the thread, to read its state in /proc; 0 until it
  /// has started.
  const std::atomic<pid_t>& tid() const noexcept { return tid_; }

 private:
  pep3156::AbstractEventLoop& loop_;
  std::atomic<pid_t> tid_{0};
  std::thread thread_;
};

}  // namespace loopbench
