#include "reference/net/flow_control.hpp"

#include "reference/net/report.hpp"

namespace pep3156::reference::net {

void WriteFlowControl::set_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
  std::size_t new_high = high ? *high : (low ? 4 * *low : kDefaultHigh);
  std::size_t new_low = low ? *low : new_high / 4;
  if (new_low > new_high) throw ValueError("set_write_buffer_limits(): low must be <= high");
  high_ = new_high;
  low_ = new_low;
}

void WriteFlowControl::buffer_grew(std::size_t buffered, const Parties& parties) {
  if (paused_ || buffered <= high_ || !parties.protocol) return;
  paused_ = true;
  try {
    parties.protocol->pause_writing();
  } catch (const std::exception&) {
    report_error(parties.loop, "protocol.pause_writing() failed", std::current_exception(), parties.transport,
                 parties.protocol);
  }
}

void WriteFlowControl::buffer_shrank(std::size_t buffered, const Parties& parties) {
  if (!paused_ || buffered > low_ || !parties.protocol) return;
  paused_ = false;
  try {
    parties.protocol->resume_writing();
  } catch (const std::exception&) {
    report_error(parties.loop, "protocol.resume_writing() failed", std::current_exception(),
                 parties.transport, parties.protocol);
  }
}

}  // namespace pep3156::reference::net
