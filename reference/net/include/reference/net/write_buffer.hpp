// WriteBuffer: the bytes a transport accepted but could not send yet.
//
// A queue of chunks, copied in as write() is called (the caller's buffer may
// be reused at once) and gathered back out as byte views, so that one
// sendmsg()/writev()/WSASend() sends as much of the queue as the kernel takes: PEP
// 3153's scatter/gather "write_sequence". Small writes are appended to the
// last chunk instead of making a chunk each, which keeps the buffer count low
// for a protocol that writes a few bytes at a time.
#pragma once

#include <cstddef>
#include <deque>
#include <span>

#include "pep3156/bytes.hpp"

namespace pep3156::reference::net {

class WriteBuffer {
 public:
  bool empty() const noexcept { return size_ == 0; }
  /// Bytes queued and not yet sent (get_write_buffer_size()).
  std::size_t size() const noexcept { return size_; }

  /// Queues a copy of `data` after everything queued before.
  void append(BytesView data);
  /// Fills `out` with the unsent bytes in order; returns how many views.
  std::size_t gather(std::span<BytesView> out) const;
  /// Forgets the first `count` unsent bytes (they were just sent).
  void consume(std::size_t count);
  void clear() noexcept;

 private:
  std::deque<Bytes> chunks_;
  std::size_t sent_of_front_ = 0;  // bytes of chunks_.front() already sent
  std::size_t size_ = 0;
};

}  // namespace pep3156::reference::net
