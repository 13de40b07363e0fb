// What the Asio loop supports, declared once: the Adapter's capabilities
// field and AsioEventLoop::capabilities() both return this.
#pragma once

#include "pep3156/capabilities.hpp"

namespace loopcert_asio {

inline pep3156::Capabilities adapter_capabilities() {
  pep3156::Capabilities capabilities;
  capabilities.categories = pep3156::Category::io_callbacks | pep3156::Category::pipes_subprocesses |
                            pep3156::Category::signals | pep3156::Category::unix_sockets;
  // steady_timer counts steady_clock's nanoseconds, and deadlines are
  // rounded up to them (asio_timer.cpp).
  capabilities.clock_resolution = 1e-9;
  return capabilities;
}

}  // namespace loopcert_asio
