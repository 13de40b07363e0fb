// subprocess_exec() and subprocess_shell() of the reference loop (PEP 3156,
// "Pipes and Subprocesses"), written against the public loop interface and
// reference/net's pipe transports: SelectorEventLoop forwards its overrides
// here with *this as `loop`.
//
// Argument errors (ValueError, TypeError) are thrown by the call (decision
// D-TIER-3); the rest comes through the Future, which completes with the
// (transport, protocol) pair once connection_made() has returned, or fails
// with std::system_error if the child could not be started (a missing
// program: ENOENT). How the loop learns that a child exited is in
// src/child.hpp (decision D-PIPE-1).
#pragma once

#include <string>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::subprocess {

/// Runs args[0] (options.executable if given) with `args` as its argv, no
/// shell (LOOP-SUBPROC-EXEC). ValueError for no args, a NUL byte in any
/// string, STDOUT for stdin or stdout, or a negative descriptor.
Future<SubprocessConnection> subprocess_exec(AbstractEventLoop& loop, SubprocessProtocolFactory factory,
                                             std::vector<std::string> args, SubprocessOptions options);

/// Runs `command` with /bin/sh -c (LOOP-SUBPROC-SHELL).
Future<SubprocessConnection> subprocess_shell(AbstractEventLoop& loop, SubprocessProtocolFactory factory,
                                              std::string command, SubprocessOptions options);

}  // namespace pep3156::reference::subprocess
