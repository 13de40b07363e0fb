// Protocols (PEP 3156, "Protocols"; PEP 3153, "Protocol").
//
// Users subclass these; transports call them, always from the loop's
// thread and one call at a time. Every method has a do-nothing default.
//
// The calling sequence a stream protocol sees, which every transport of a
// conforming loop enforces (PEP 3156: "connection_made() -- exactly once",
// ...):
//
//   connection_made  exactly once, first
//   data_received    zero or more times, never with empty data
//   eof_received     at most once, after the last data_received
//   connection_lost  exactly once, last; nothing is called after it
//
// pause_writing()/resume_writing() come in non-nested pairs between
// connection_made and connection_lost; the final resume_writing() may be
// omitted.
#pragma once

#include <exception>
#include <functional>
#include <memory>

#include "pep3156/address.hpp"
#include "pep3156/bytes.hpp"

namespace pep3156 {

class BaseTransport;

class BaseProtocol {
 public:
  virtual ~BaseProtocol() = default;

  /// The transport is ready; keep the pointer to talk to it.
  virtual void connection_made(std::shared_ptr<BaseTransport> /*transport*/) {}
  /// The connection is gone: `exc` is null on a regular close or EOF, the
  /// error otherwise.
  virtual void connection_lost(std::exception_ptr /*exc*/) {}
  /// The transport's buffer went over the high water mark.
  virtual void pause_writing() {}
  /// The transport's buffer drained to the low water mark.
  virtual void resume_writing() {}
};

/// A stream protocol.
class Protocol : public BaseProtocol {
 public:
  /// Some bytes arrived; `data` is valid only during the call. No message
  /// boundaries: chunks may be split or merged arbitrarily.
  virtual void data_received(BytesView /*data*/) {}
  /// The peer will send no more. Return false to let the transport close
  /// itself, true to keep the write half open (ignored for TLS).
  virtual bool eof_received() { return false; }
};

class DatagramProtocol : public BaseProtocol {
 public:
  virtual void datagram_received(BytesView /*data*/, const SocketAddress& /*address*/) {}
  /// A send or receive failed (e.g. ECONNREFUSED on a connected endpoint).
  virtual void error_received(std::exception_ptr /*exc*/) {}
};

class SubprocessProtocol : public BaseProtocol {
 public:
  /// The child wrote to its stdout (fd 1) or stderr (fd 2).
  virtual void pipe_data_received(int /*fd*/, BytesView /*data*/) {}
  /// One of the child's pipes closed.
  virtual void pipe_connection_lost(int /*fd*/, std::exception_ptr /*exc*/) {}
  /// The child exited; get_returncode() now has its status.
  virtual void process_exited() {}
};

/// Called once per connection (per server connection for create_server) to
/// make the protocol; may return a previously made protocol.
template <class P>
using Factory = std::function<std::shared_ptr<P>()>;
using ProtocolFactory = Factory<Protocol>;
using DatagramProtocolFactory = Factory<DatagramProtocol>;
using SubprocessProtocolFactory = Factory<SubprocessProtocol>;
using BaseProtocolFactory = Factory<BaseProtocol>;

}  // namespace pep3156
