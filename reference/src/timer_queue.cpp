#include "reference/timer_queue.hpp"

#include <algorithm>
#include <utility>

#include "per_thread_recycling_allocator.hpp"

namespace pep3156::reference {

/// A TimerHandleState that tells its queue when it is cancelled, so the
/// queue can count its dead entries.
class TimerQueue::Timer final : public TimerHandleState {
 public:
  Timer(double when, Callback&& callback) noexcept : TimerHandleState(when, std::move(callback)) {}

  /// The queue while this timer is in its heap; null once it has left.
  TimerQueue* queue = nullptr;
  /// The heap's reference to this timer, set while it is in the heap. Held
  /// here rather than in the heap's entry, so that an Entry is plain data.
  /// Moving a shared_ptr does no atomic operation, but each move of an
  /// owning entry also nulls its source and checks it when destroyed, at
  /// every level of every sift: measured with bench/callgrind.py, owning
  /// entries cost 19 % more instructions per fired timer
  /// (timers_fired/loop/10000: 976 -> 1159) and 8 % per cancelled one
  /// (timers_cancelled/loop/10000: 625 -> 676), past the 10 % that a
  /// cleverer version must save to stay.
  std::shared_ptr<Timer> held_by_queue;

 private:
  void on_cancel() noexcept override {
    if (queue != nullptr) queue->on_cancelled();
  }
};

TimerQueue::~TimerQueue() { clear(); }

TimerHandle TimerQueue::push(double when, Callback&& callback) {
  auto timer = make_recycled<Timer>(when, std::move(callback));
  timer->queue = this;
  timer->held_by_queue = timer;
  heap_.push_back(Entry{when, next_sequence_++, timer.get()});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return TimerHandle(std::move(timer));
}

std::optional<double> TimerQueue::earliest_deadline() noexcept {
  drop_cancelled_at_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

std::shared_ptr<HandleState> TimerQueue::pop_due(double now) noexcept {
  drop_cancelled_at_top();
  if (heap_.empty() || heap_.front().when > now) return nullptr;
  return pop_top();
}

void TimerQueue::clear() noexcept {
  std::vector<Entry> dropped = std::move(heap_);
  heap_.clear();
  cancelled_ = 0;
  // Every timer forgets the queue first: a callback's destructor may cancel
  // one of the others.
  for (Entry& entry : dropped) entry.timer->queue = nullptr;
  for (Entry& entry : dropped) entry.timer->held_by_queue.reset();
}

void TimerQueue::on_cancelled() noexcept {
  ++cancelled_;
  if (heap_.size() >= kCompactionMinimum && 2 * cancelled_ > heap_.size()) rebuild_without_cancelled();
}

std::shared_ptr<TimerQueue::Timer> TimerQueue::pop_top() noexcept {
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Timer* timer = heap_.back().timer;
  heap_.pop_back();
  return release(timer);
}

std::shared_ptr<TimerQueue::Timer> TimerQueue::release(Timer* timer) noexcept {
  timer->queue = nullptr;
  return std::move(timer->held_by_queue);
}

void TimerQueue::drop_cancelled_at_top() noexcept {
  // With no cancelled entry in the heap there is nothing to drop, and no
  // need to look at the top timer (in a large heap, a cache miss per pop).
  while (cancelled_ > 0 && !heap_.empty() && heap_.front().timer->cancelled()) {
    pop_top();
    --cancelled_;
  }
}

void TimerQueue::rebuild_without_cancelled() noexcept {
  std::erase_if(heap_, [](const Entry& entry) {
    if (!entry.timer->cancelled()) return false;
    release(entry.timer);
    return true;
  });
  std::make_heap(heap_.begin(), heap_.end(), Later{});
  cancelled_ = 0;
}

}  // namespace pep3156::reference
