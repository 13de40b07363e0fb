// LoopResource: an object of the adapter's (a transport, a server) that
// holds Asio I/O objects. Asio objects must go before their io_context, and
// a user may keep a transport after close(): so the loop keeps a weak
// reference to each, and its close() makes each release its Asio objects
// (closing the sockets it owns) while the io_context still exists.
#pragma once

namespace loopcert_asio {

class LoopResource {
 public:
  virtual ~LoopResource() = default;
  /// Closes and drops every Asio object; every method is then harmless.
  virtual void release_io() noexcept = 0;
};

}  // namespace loopcert_asio
