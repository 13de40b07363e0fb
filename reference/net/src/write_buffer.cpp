#include "reference/net/write_buffer.hpp"

namespace pep3156::reference::net {

namespace {
// Writes up to this size join the last chunk rather than start a new one.
constexpr std::size_t kCoalesceLimit = 16 * 1024;
}  // namespace

void WriteBuffer::append(BytesView data) {
  if (data.empty()) return;
  if (!chunks_.empty() && chunks_.back().size() + data.size() <= kCoalesceLimit) {
    chunks_.back().insert(chunks_.back().end(), data.begin(), data.end());
  } else {
    chunks_.emplace_back(data.begin(), data.end());
  }
  size_ += data.size();
}

std::size_t WriteBuffer::gather(std::span<BytesView> out) const {
  std::size_t count = 0;
  std::size_t skip = sent_of_front_;
  for (const Bytes& chunk : chunks_) {
    if (count == out.size()) break;
    out[count++] = BytesView(chunk).subspan(skip);
    skip = 0;
  }
  return count;
}

void WriteBuffer::consume(std::size_t count) {
  size_ -= count;
  while (count > 0) {
    std::size_t left_in_front = chunks_.front().size() - sent_of_front_;
    if (count < left_in_front) {
      sent_of_front_ += count;
      return;
    }
    count -= left_in_front;
    chunks_.pop_front();
    sent_of_front_ = 0;
  }
}

void WriteBuffer::clear() noexcept {
  chunks_.clear();
  sent_of_front_ = 0;
  size_ = 0;
}

}  // namespace pep3156::reference::net
