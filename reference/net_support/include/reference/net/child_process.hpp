// A child process started without a loop's process API: the argument
// checks subprocess_exec() makes, spawning the child with its pipes, and
// the child from then on (its pidfd, signals, reaping). For adapters of
// libraries that have no process API (libevent, Asio): each watches the
// pidfd with its own loop (readable once the child has exited) and puts
// its own transports on the pipes. Exactly our child is reaped, once, with
// waitid(P_PIDFD): no SIGCHLD handler, no waitpid(-1) (decision D-PIPE-1).
#pragma once

#include <sys/types.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "pep3156/address.hpp"
#include "pep3156/options.hpp"

namespace pep3156::reference::net {

/// The argument errors subprocess_exec() raises at the call (decision
/// D-TIER-3): ValueError for no program, a NUL byte, a bad environment
/// variable name, Stdio::to_stdout() for stdin or stdout, a negative fd.
void check_subprocess_arguments(const std::vector<std::string>& args, const SubprocessOptions& options);

/// A child just started: its pid and the parent's (non-blocking,
/// close-on-exec) end of each standard stream that is a pipe.
struct SpawnedChild {
  pid_t pid;
  std::array<Socket, 3> pipes;
};

/// Starts `args` with posix_spawn() (glibc reports an exec failure as the
/// call's error), as Popen would with `options` (decision D-PIPE-2).
/// Throws std::system_error.
SpawnedChild spawn_child(const std::vector<std::string>& args, const SubprocessOptions& options);

/// Our child, from spawn_child() until it is reaped, through its pidfd. A
/// child not reaped when this goes (its loop closed first) is killed and
/// reaped: no zombie is left with nobody to wait for it.
class ChildProcess {
 public:
  /// Opens `pid`'s pidfd; if that fails, kills and reaps the child, then
  /// throws std::system_error.
  explicit ChildProcess(pid_t pid);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Readable once the child has exited: what a loop watches.
  int pidfd() const noexcept { return pidfd_.fd(); }
  /// Set once reaped (TR-SUBPROC-RETURNCODE): the exit status, or minus
  /// the signal that killed it.
  std::optional<int> returncode() const noexcept { return returncode_; }

  /// Nothing once reaped: the pid may be another process's by then.
  /// Throws std::system_error.
  void send_signal(int sig);
  /// Reaps the child if it has exited, without waiting: true once reaped.
  bool try_reap() noexcept;

 private:
  bool reap(int options) noexcept;

  pid_t pid_;
  Socket pidfd_;
  std::optional<int> returncode_;
};

}  // namespace pep3156::reference::net
