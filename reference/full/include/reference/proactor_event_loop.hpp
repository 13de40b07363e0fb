// ProactorEventLoop: the proactor loop with networking, what the reference
// adapter certifies as loop "io_uring":
//
//   auto loop = std::make_shared<ProactorEventLoop>(make_proactor("io_uring"));
//
// The core (CoreProactorEventLoop, reference/include) with its own
// sock_recv(), sock_sendall() and sock_accept(), which are proactor
// operations (src/proactor_sock_methods.cpp), and, for now, the readiness
// transports (ReadinessTransports, reference/transports) for the rest:
// they watch their sockets, pipes and processes through add_reader() and
// add_writer(), which this loop implements with poll operations, so the
// bytes they move still go through recv()/send() calls of their own.
// Transports that submit their reads, writes, accepts and connects as
// operations (asyncio's proactor_events.py) are the next step (issue #16).
#pragma once

#include <functional>

#include "reference/core_proactor_event_loop.hpp"
#include "reference/readiness_transports.hpp"

namespace pep3156::reference {

class ProactorEventLoop final : public ReadinessTransports<CoreProactorEventLoop> {
 public:
  using ReadinessTransports::ReadinessTransports;

  // The wrapped socket methods, as operations; sock_connect() is still the
  // readiness one.
  Future<Bytes> sock_recv(int fd, std::size_t n) override;
  Future<void> sock_sendall(int fd, Bytes data) override;
  Future<AcceptedSocket> sock_accept(int fd) override;

 private:
  /// Checks the loop and fd as every sock_*() does, then submits the
  /// operation, again while `finish` says the call is not done.
  FuturePtr start_sock_call(int fd, Events direction, const char* method,
                            std::function<OperationId(Proactor&, OnCompletion)> submit,
                            std::function<bool(FutureBase&, int)> finish);
};

}  // namespace pep3156::reference
