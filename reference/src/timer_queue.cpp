#include "reference/timer_queue.hpp"

#include <algorithm>
#include <utility>

namespace pep3156::reference {

/// A TimerHandleState that tells its queue when it is cancelled, so the
/// queue can count its dead entries.
class TimerQueue::Timer final : public TimerHandleState {
 public:
  Timer(double when, Callback callback, TimerQueue* queue) noexcept
      : TimerHandleState(when, std::move(callback)), queue(queue) {}

  /// The queue while this timer is in its heap; null once it has left.
  TimerQueue* queue;

 private:
  void on_cancel() noexcept override {
    if (queue != nullptr) queue->on_cancelled();
  }
};

TimerQueue::~TimerQueue() { clear(); }

TimerHandle TimerQueue::push(double when, Callback callback) {
  auto timer = std::make_shared<Timer>(when, std::move(callback), this);
  heap_.push_back(Entry{when, next_sequence_++, timer});
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
  for (Entry& entry : dropped) entry.timer->queue = nullptr;
}

void TimerQueue::on_cancelled() noexcept {
  ++cancelled_;
  if (heap_.size() >= kCompactionMinimum && 2 * cancelled_ > heap_.size()) rebuild_without_cancelled();
}

std::shared_ptr<TimerQueue::Timer> TimerQueue::pop_top() noexcept {
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  std::shared_ptr<Timer> timer = std::move(heap_.back().timer);
  heap_.pop_back();
  timer->queue = nullptr;
  return timer;
}

void TimerQueue::drop_cancelled_at_top() noexcept {
  while (!heap_.empty() && heap_.front().timer->cancelled()) {
    pop_top();
    --cancelled_;
  }
}

void TimerQueue::rebuild_without_cancelled() noexcept {
  std::erase_if(heap_, [](const Entry& entry) {
    if (!entry.timer->cancelled()) return false;
    entry.timer->queue = nullptr;
    return true;
  });
  std::make_heap(heap_.begin(), heap_.end(), Later{});
  cancelled_ = 0;
}

}  // namespace pep3156::reference
