// SelectorTransport: what every descriptor-based transport shares (asyncio's
// _SelectorTransport): the descriptor, the protocol, the extra info, the
// start of the connection and its end.
//
// The start: start() schedules connection_made() with call_soon(); once it
// has returned, the transport registers for readiness (watch()) and
// resolves the caller's waiter. If connection_made() throws, the connection
// is aborted and the waiter fails with the exception.
//
// The end, once (PROTO-SEQ-CONNECTION-LOST-ONCE): close(), abort() or an
// error leads to schedule_connection_lost(), which unregisters the
// descriptor and schedules connection_lost() with call_soon() -- never
// calling it from inside the method that ended the connection. After it has
// returned, the descriptor is closed, the protocol released (decision
// D-TR-1) and the `on_lost` hook run.
//
// Errors: an OS error (std::system_error) is the connection's fate, which
// connection_lost(error) tells the protocol; any other exception (a
// protocol's bug) also goes to the loop's exception handler first.
#pragma once

#include <any>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "pep3156/event_loop.hpp"
#include "reference/net/flow_control.hpp"

namespace pep3156::reference::net {

class SelectorTransport : public virtual BaseTransport,
                          public std::enable_shared_from_this<SelectorTransport> {
 public:
  /// TR-EXTRA-INFO-DEFAULT: empty for a name the transport does not know.
  std::any get_extra_info(std::string_view name) const override;
  using BaseTransport::get_extra_info;
  bool is_closing() const override { return closing_; }

 protected:
  /// Takes over `fd` and `protocol` (TypeError if null). extra_ gets
  /// "pipe", or "socket" with "sockname" and "peername" where known.
  SelectorTransport(AbstractEventLoop& loop, Socket fd, bool is_pipe, std::shared_ptr<BaseProtocol> protocol,
                    Callback on_lost);

  /// Schedules connection_made() (PROTO-SEQ-CONNECTION-MADE-ONCE).
  void start(Future<void> waiter);
  /// Registers for readiness, once connection_made() has returned.
  virtual void watch() = 0;
  /// Drops whatever is buffered for sending (abort, errors).
  virtual void discard_buffer() noexcept = 0;

  void fatal_error(std::exception_ptr error, const char* message);
  /// Ends the connection now, dropping the buffer; `error` goes to
  /// connection_lost(). Does nothing if the end is already on its way.
  void force_close(std::exception_ptr error);
  void schedule_connection_lost(std::exception_ptr error);
  /// For pause_writing()/resume_writing().
  WriteFlowControl::Parties parties();

  AbstractEventLoop& loop_;
  Socket fd_;
  std::shared_ptr<BaseProtocol> protocol_;  // held until connection_lost() returns (D-TR-1)
  std::map<std::string, std::any, std::less<>> extra_;
  bool made_ = false;            // connection_made() has returned
  bool closing_ = false;         // close(), abort() or an error: no more reading, writes ignored
  bool lost_scheduled_ = false;  // connection_lost() is on its way; nothing else will happen

 private:
  void make_connection(const Future<void>& waiter);
  void call_connection_lost(std::exception_ptr error);

  Callback on_lost_;
};

}  // namespace pep3156::reference::net
