// RawLoop: the baseline of the dispatch probes (call_soon batch, chained
// dispatch, idle fds): the least a readiness loop can do per callback and
// per iteration. A callback is a function pointer and its argument in a
// vector; an iteration is one epoll_wait() and then the callbacks that were
// ready when it began, the same snapshot rule as the PEP's loop
// (LOOP-STOP-READYQ-FREEDOM), so a callback that schedules another costs
// one more poll here as on the loop under test.
#pragma once

#include <vector>

#include "raw.hpp"

namespace loopbench {

class RawLoop {
 public:
  using Function = void (*)(void* argument);

  RawLoop() : epoll_(make_epoll()) {}

  /// For fds that the loop should watch (the idle fds probe).
  int epoll_fd() const noexcept { return epoll_.get(); }

  void call_soon(Function function, void* argument) { ready_.push_back({function, argument}); }
  /// Ends run_forever() after the current iteration.
  void stop() noexcept { stopping_ = true; }
  /// Iterates until stop(): polls (without waiting while a callback is
  /// ready), then runs the callbacks ready before the poll.
  void run_forever();

 private:
  struct Callback {
    Function function;
    void* argument;
  };

  Fd epoll_;
  std::vector<Callback> ready_;
  std::vector<Callback> running_;  // this iteration's snapshot; kept for its capacity
  bool stopping_ = false;
};

}  // namespace loopbench
