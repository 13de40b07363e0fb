// ReadyQueue: the callbacks that are ready to run, first in, first out
// (asyncio's `_ready` deque; LOOP-CALLSOON-FIFO).
//
// A ring buffer over one vector whose size is a power of two: call_soon()
// appends at the back, step 5 of an iteration pops from the front. Once the
// buffer has grown to the loop's working size, neither allocates
// (std::deque would allocate and free a block every few dozen callbacks).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "pep3156/handle.hpp"

namespace pep3156::reference {

class ReadyQueue {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  void push_back(std::shared_ptr<HandleState> handle);
  /// Precondition: !empty().
  std::shared_ptr<HandleState> pop_front() noexcept;
  /// Drops every callback. The queue is already empty when their captured
  /// objects are destroyed.
  void clear() noexcept;

 private:
  void grow();

  std::vector<std::shared_ptr<HandleState>> slots_;  // size 0 or a power of two
  std::size_t head_ = 0;                             // index of the front
  std::size_t size_ = 0;
};

}  // namespace pep3156::reference
