// spawn(): starting a child process with fork() and exec, as CPython's
// _posixsubprocess does, for subprocess_exec() and subprocess_shell().
//
// Everything the child needs between fork() and exec is prepared in the
// parent first (argv, the environment, the paths to try for the program,
// the descriptors to keep): the child of a multi-threaded process may only
// make async-signal-safe calls until it execs -- no allocation, no lock.
// The child reports a failure (a missing program, a missing cwd) as its
// errno through an "error pipe" that is close-on-exec: the parent reads
// nothing once exec succeeded, and the errno if not; then it reaps that
// child and throws.
//
// Descriptors: every descriptor made here is close-on-exec, so that a child
// another thread starts meanwhile inherits none of them. The child's ends
// of its standard streams are moved above 2 first, so that dup2()ing them
// into 0, 1 and 2 never overwrites another one; with close_fds every
// descriptor but 0, 1, 2 and pass_fds is closed (close_range()).
//
// Signals: all signals are blocked across fork(). The child sets back to
// the default every handler it inherited -- until exec they are the
// parent's, and the parent's loop's handlers write to the parent's wakeup
// pipe -- and, with restore_signals, SIGPIPE and SIGXFSZ if the parent
// ignores them (as Python does); then it unblocks the parent's mask and
// execs.
#pragma once

#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

#include "pep3156/options.hpp"

namespace pep3156::reference::subprocess {

struct SpawnedChild {
  pid_t pid = -1;
  /// The parent's ends of the child's stdin, stdout and stderr where they
  /// are pipes (Stdio::pipe()), non-blocking and close-on-exec; empty
  /// Sockets for the others.
  std::array<Socket, 3> pipes;
};

/// Starts args[0] (or options.executable) with `args` as its argv, found
/// on PATH as execvp() would (the PATH of options.env if it is given).
/// Throws std::system_error carrying the child's errno if it could not be
/// started: a program that is missing (ENOENT) or not executable (EACCES), a
/// cwd that is missing; that child has been reaped. The arguments must have
/// passed check_subprocess_arguments().
SpawnedChild spawn(const std::vector<std::string>& args, const SubprocessOptions& options);

}  // namespace pep3156::reference::subprocess
