// TimerQueue: the loop's timers (call_later(), call_at()), a binary
// min-heap ordered by (deadline, sequence number), as libuv orders its
// timers by (timeout, start_id). The sequence number makes timers due at
// the same time run in the order they were scheduled; the PEP allows any
// order there (LOOP-CALLLATER-SAME-TIME-UNORDERED), this one is simply the
// least surprising.
//
// Lazy cancellation: cancel() does not search the heap. The entry stays,
// marked cancelled, until it reaches the top, where it is dropped, or
// until cancelled entries are more than half of a heap of at least
// kCompactionMinimum entries, when the heap is rebuilt without them (asyncio
// does the same). So cancelling is O(1) amortized, and a million cancelled
// timers neither stay in memory nor slow the loop down.
//
// Threads: the loop's thread only, like the Handles it returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "pep3156/handle.hpp"

namespace pep3156::reference {

class TimerQueue {
 public:
  /// Below this many entries the heap is never rebuilt: dropping cancelled
  /// entries as they reach the top is enough.
  static constexpr std::size_t kCompactionMinimum = 100;

  TimerQueue() = default;
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  /// Schedules `callback` for loop time `when`. Precondition: `when` is not
  /// NaN (it could not be ordered).
  TimerHandle push(double when, Callback&& callback);

  /// The deadline of the earliest timer not cancelled, or nullopt if there
  /// is none. Drops cancelled timers from the top on the way.
  std::optional<double> earliest_deadline() noexcept;

  /// Removes and returns the earliest timer not cancelled if it is due at
  /// loop time `now` (when <= now); null otherwise.
  std::shared_ptr<HandleState> pop_due(double now) noexcept;

  /// Entries in the heap, cancelled ones not dropped yet included.
  std::size_t size() const noexcept { return heap_.size(); }
  bool empty() const noexcept { return heap_.empty(); }

  /// Drops every timer. Handles kept by callers stay valid; cancelling
  /// them then does nothing.
  void clear() noexcept;

 private:
  class Timer;
  /// Plain data: the Timer keeps itself alive while it is in the heap
  /// (Timer::held_by_queue, which says what that saves), so sifting moves
  /// three numbers.
  struct Entry {
    double when;
    std::uint64_t sequence;
    Timer* timer;
  };

  /// The heap's order. std::push_heap and friends build a max-heap;
  /// ordering by "later" puts the earliest (deadline, sequence) on top. A
  /// function object defined here, so that they inline it: a function
  /// pointer, or a function a shared library exports, costs a call per
  /// comparison.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      return a.when != b.when ? a.when > b.when : a.sequence > b.sequence;
    }
  };

  void on_cancelled() noexcept;
  std::shared_ptr<Timer> pop_top() noexcept;
  /// Takes `timer` out of the queue's hands: the queue's reference.
  static std::shared_ptr<Timer> release(Timer* timer) noexcept;
  void drop_cancelled_at_top() noexcept;
  void rebuild_without_cancelled() noexcept;

  std::vector<Entry> heap_;
  std::size_t cancelled_ = 0;  // cancelled entries still in heap_
  std::uint64_t next_sequence_ = 0;
};

}  // namespace pep3156::reference
