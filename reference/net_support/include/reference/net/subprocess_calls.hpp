// SubprocessCalls: the order in which a SubprocessProtocol hears of its
// child, for a subprocess transport built from a loop's own pipe
// transports (asyncio's base_subprocess.py):
//
//   connection_made        first, once the pipes exist (the transport's)
//   pipe_data_received, pipe_connection_lost   as the child writes and closes
//   process_exited         once reaped (before or after the pipes close,
//                          PROTO-SUBPROC-ORDER-UNDEFINED, D-PIPE-4)
//   connection_lost        last, after process_exited() and every pipe
#pragma once

#include <exception>
#include <memory>

#include "pep3156/protocols.hpp"

namespace pep3156::reference::net {

class SubprocessCalls : public std::enable_shared_from_this<SubprocessCalls> {
 public:
  explicit SubprocessCalls(std::shared_ptr<SubprocessProtocol> protocol) : protocol_(std::move(protocol)) {}

  /// The protocol for the transport on the child's pipe `fd` (0, 1 or 2):
  /// it passes what happens there on, with `fd`, and the stdin pipe's flow
  /// control (PROTO-SUBPROC-BASE-METHODS).
  std::shared_ptr<Protocol> pipe_protocol(int fd);
  /// The transport is ready: the protocol's first call.
  void connection_made(std::shared_ptr<BaseTransport> transport) {
    protocol_->connection_made(std::move(transport));
  }
  /// The child was reaped: PROTO-SUBPROC-EXITED (get_returncode() is set).
  void process_exited();

 private:
  class Pipe;
  void pipe_connection_lost(int fd, std::exception_ptr exc);
  void finish_if_done();

  std::shared_ptr<SubprocessProtocol> protocol_;  // until connection_lost()
  int open_pipes_ = 0;
  bool exited_ = false;  // process_exited() was called
};

}  // namespace pep3156::reference::net
