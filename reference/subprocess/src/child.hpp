// Child: one child process of ours, from spawn() until it is reaped, and
// how the loop learns that it exited (decision D-PIPE-1).
//
// Exactly that child is reaped, and only once: never waitpid(-1), never a
// SIGCHLD handler, so the children of other libraries in the process stay
// theirs to reap and no signal disposition changes.
//
// With pidfd (Linux 5.3+): pidfd_open() gives a descriptor that polls
// readable once the child has exited. The loop watches it with
// add_reader(); waitid(P_PIDFD, WEXITED) reaps. Signals go through
// pidfd_send_signal(), which can never reach another process that reuses
// the pid.
//
// Without (ENOSYS: an older kernel, or a sandbox that forbids it): a timer
// on the loop polls that one child with waitid(P_PID, WNOHANG) every 50 ms.
// It costs a wakeup per child per 50 ms and delays process_exited() by as
// much, but needs neither a thread (that would have to outlive or join the
// loop) nor a signal handler.
#pragma once

#include <sys/types.h>

#include <optional>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::subprocess {

class Child {
 public:
  /// How often the loop polls a child it cannot watch with a pidfd.
  static constexpr double kPollInterval = 0.05;

  /// Takes charge of `pid`, a child of this process nobody has reaped, and
  /// opens its pidfd (unless `use_pidfd` is false: the tests of the polling
  /// fallback). std::system_error if pidfd_open() fails otherwise than with
  /// ENOSYS.
  explicit Child(pid_t pid, bool use_pidfd = true);
  /// A child not reaped yet (its loop was closed first) is killed with
  /// SIGKILL and reaped: it must not stay a zombie with nobody to wait for
  /// it.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Once reaped: the exit status, or -N if signal N killed it
  /// (TR-SUBPROC-RETURNCODE).
  std::optional<int> returncode() const noexcept { return returncode_; }

  /// Calls `on_exited` once, from `loop`, when the child has exited and
  /// been reaped (returncode() is set by then). The loop holds `on_exited`
  /// until then, so whatever it holds stays alive while the child runs.
  void watch(AbstractEventLoop& loop, Callback on_exited);

  /// Sends `sig` unless the child has been reaped; nothing once it has
  /// exited. std::system_error for an invalid signal.
  void send_signal(int sig);

 private:
  bool reap_if_exited();
  void poll(AbstractEventLoop& loop, Callback on_exited);

  pid_t pid_;
  Socket pidfd_;  // empty without pidfd
  std::optional<int> returncode_;
};

}  // namespace pep3156::reference::subprocess
