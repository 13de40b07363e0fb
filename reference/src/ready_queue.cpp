#include "reference/ready_queue.hpp"

#include <utility>

namespace pep3156::reference {

void ReadyQueue::push_back(std::shared_ptr<HandleState> handle) {
  if (size_ == slots_.size()) grow();
  // slots_.size() is a power of two, so `& (size - 1)` is `% size`.
  slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(handle);
  ++size_;
}

std::shared_ptr<HandleState> ReadyQueue::pop_front() noexcept {
  std::shared_ptr<HandleState> front = std::move(slots_[head_]);
  head_ = (head_ + 1) & (slots_.size() - 1);
  --size_;
  return front;
}

void ReadyQueue::clear() noexcept {
  std::vector<std::shared_ptr<HandleState>> dropped = std::move(slots_);
  slots_.clear();
  head_ = 0;
  size_ = 0;
}

void ReadyQueue::grow() {
  std::vector<std::shared_ptr<HandleState>> larger(slots_.empty() ? 64 : 2 * slots_.size());
  for (std::size_t i = 0; i < size_; ++i) larger[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
  slots_ = std::move(larger);
  head_ = 0;
}

}  // namespace pep3156::reference
