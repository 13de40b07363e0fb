// TransportCore: what the stream, pipe and datagram transports share: the
// protocol until connection_lost(), the extra info, the end of a
// connection (connection_lost() once, from the ready queue, then the
// socket closed and the protocol released) and the reports to the loop's
// exception handler.
#pragma once

#include <any>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "asio_event_loop.hpp"
#include "loop_resource.hpp"

namespace loopcert_asio {

/// What a transport's descriptor is, for get_extra_info(): a socket's
/// "socket", "sockname" and "peername", a pipe's "pipe" (D-TR-9).
enum class Descriptor { socket, pipe };

class TransportCore : public LoopResource {
 public:
  TransportCore(AsioEventLoop& loop, int fd, std::shared_ptr<pep3156::BaseProtocol> protocol,
                std::function<void()> on_lost, Descriptor kind = Descriptor::socket);

 protected:
  /// The transport itself, for the protocol's calls and the reports.
  virtual std::shared_ptr<pep3156::BaseTransport> self() = 0;
  /// Closes the socket (at connection_lost()) and drops it.
  virtual void close_socket() noexcept = 0;
  /// Drops what is buffered and stops the socket's pending operations.
  virtual void discard() noexcept = 0;
  /// After connection_made(): the first receive.
  virtual void start_receiving() = 0;

  /// Schedules connection_made() (PROTO-SEQ-CONNECTION-MADE-ONCE), from
  /// the ready queue, never from here; then completes `waiter` (if valid),
  /// with the protocol's exception if connection_made() threw (D-NET-1).
  void start(pep3156::Future<void> waiter);

  std::any extra_info(std::string_view name) const;

  /// A system call failed (the peer's doing, not a bug): closes at once
  /// with connection_lost(error), no report.
  void os_failure(const asio::error_code& error, const char* what);
  /// The protocol threw: reports it to the loop's exception handler, then
  /// closes at once with connection_lost(the exception).
  void protocol_failure(std::exception_ptr error, const char* message);
  void force_close(std::exception_ptr error);
  /// connection_lost(error) from the ready queue, once.
  void schedule_connection_lost(std::exception_ptr error);
  void report(const char* message, std::exception_ptr error);

  AsioEventLoop& loop_;
  std::shared_ptr<pep3156::BaseProtocol> protocol_;  // until connection_lost() has returned
  bool closing_ = false;                             // close(), abort() or a fatal error
  bool lost_scheduled_ = false;                      // connection_lost() is on its way
  bool made_ = false;                                // connection_made() has returned
  bool released_ = false;                            // the loop closed: the socket is gone

 private:
  void make_connection(const pep3156::Future<void>& waiter);
  void call_connection_lost(std::exception_ptr error);

  std::function<void()> on_lost_;
  std::map<std::string, std::any, std::less<>> extra_;
};

}  // namespace loopcert_asio
