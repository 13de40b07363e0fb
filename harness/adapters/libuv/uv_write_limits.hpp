// Write flow control over libuv's write queue: pause_writing() when the
// queue goes over the high water mark, resume_writing() when it drains to
// the low one, strictly alternating (PROTO-FLOW-PAIRS). The transport
// reports each change of uv_stream_get_write_queue_size().
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "uv_event_loop.hpp"

namespace loopcert_libuv {

class WriteLimits {
 public:
  /// Who to tell, and where to report what the protocol throws.
  struct Parties {
    UvEventLoop& loop;
    std::shared_ptr<BaseTransport> transport;
    std::shared_ptr<BaseProtocol> protocol;
  };

  /// set_write_buffer_limits() (D-TR-3): high defaults to 64 KiB, or to 4
  /// * low if only low is given; low to high / 4. ValueError if low > high.
  void set(std::optional<std::size_t> high, std::optional<std::size_t> low) {
    std::size_t new_high = high.value_or(low ? 4 * *low : kDefaultHigh);
    std::size_t new_low = low.value_or(new_high / 4);
    if (new_low > new_high) throw ValueError("set_write_buffer_limits(): low must not exceed high");
    high_ = new_high;
    low_ = new_low;
  }

  void grew(std::size_t queued, const Parties& parties) {
    if (!paused_ && queued > high_) tell(parties, true);
  }
  void shrank(std::size_t queued, const Parties& parties) {
    if (paused_ && queued <= low_) tell(parties, false);
  }

 private:
  static constexpr std::size_t kDefaultHigh = 64 * 1024;

  void tell(const Parties& parties, bool pause) {
    if (!parties.protocol) return;
    paused_ = pause;
    try {
      if (pause) {
        parties.protocol->pause_writing();
      } else {
        parties.protocol->resume_writing();
      }
    } catch (const std::exception&) {
      parties.loop.report(pause ? "protocol.pause_writing() failed" : "protocol.resume_writing() failed",
                          std::current_exception(), parties.transport, parties.protocol);
    }
  }

  std::size_t high_ = kDefaultHigh;
  std::size_t low_ = kDefaultHigh / 4;
  bool paused_ = false;
};

}  // namespace loopcert_libuv
