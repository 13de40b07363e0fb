// SigpipeGuard: a write() to a pipe (or a writev() to a socket) whose
// reader is gone raises SIGPIPE, which kills the process by default; the
// transports of a library that writes so must see EPIPE instead.
#pragma once

#include <signal.h>

namespace pep3156::reference::net {

/// Holds SIGPIPE back on this thread while it lives. A SIGPIPE raised
/// meanwhile is consumed; one that was pending before stays pending.
class SigpipeGuard {
 public:
  SigpipeGuard() noexcept;
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t previous_mask_;
  bool pending_before_;
};

}  // namespace pep3156::reference::net
