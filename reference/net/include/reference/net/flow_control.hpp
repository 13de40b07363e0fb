// Write flow control (PEP 3156, set_write_buffer_limits(), pause_writing()
// and resume_writing()): the water marks of one transport's write buffer
// and whether its protocol is paused.
//
// The transport reports every change of its buffer size; this class decides
// when the protocol is told. pause_writing() comes when the buffer goes
// over the high water mark, resume_writing() when it drains to the low one,
// strictly alternating (PROTO-FLOW-PAIRS). A protocol that throws from
// either reaches the loop's exception handler and the connection goes on.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

class WriteFlowControl {
 public:
  static constexpr std::size_t kDefaultHigh = 64 * 1024;

  /// Who to tell: the protocol, with the transport and loop for reports.
  struct Parties {
    AbstractEventLoop& loop;
    std::shared_ptr<BaseTransport> transport;
    std::shared_ptr<BaseProtocol> protocol;
  };

  /// set_write_buffer_limits(): high defaults to 64 KiB (4 * low if only
  /// low is given), low to high / 4, so high = 0 forces low = 0
  /// (TR-LIMITS-HIGH-ZERO). ValueError unless low <= high (decision D-TR-3).
  void set_limits(std::optional<std::size_t> high, std::optional<std::size_t> low);

  /// After the buffer grew (or the limits changed): pause_writing() if it
  /// is now over the high water mark and the protocol is not paused.
  void buffer_grew(std::size_t buffered, const Parties& parties);
  /// After the buffer shrank: resume_writing() if the protocol is paused and
  /// the buffer is at or below the low water mark (TR-LIMITS-LOW-ZERO).
  void buffer_shrank(std::size_t buffered, const Parties& parties);

  bool protocol_paused() const noexcept { return paused_; }
  std::size_t high() const noexcept { return high_; }
  std::size_t low() const noexcept { return low_; }

 private:
  std::size_t high_ = kDefaultHigh;
  std::size_t low_ = kDefaultHigh / 4;
  bool paused_ = false;
};

}  // namespace pep3156::reference::net
