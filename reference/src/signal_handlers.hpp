// SignalHandlers: the machinery behind one loop's add_signal_handler().
//
// A C signal handler may interrupt the program anywhere, even halfway
// through call_soon(), and may only call async-signal-safe functions
// (signal-safety(7)); write() is one. So the handler installed here writes
// the signal's number, one byte, into a pipe the loop watches like any
// other fd, and the user's callback runs later from the ready queue, as an
// ordinary callback (LOOP-SIGNAL-ADD). The self-pipe trick: D. J. Bernstein,
// and asyncio's signal.set_wakeup_fd().
//
// Signal dispositions belong to the process, so a process-wide table says
// which loop owns each signal: only one loop at a time may handle a given
// signal (RuntimeError for the second until the first removes it or is
// closed).
//
// Threads: add() and remove() run on the main thread (the loop checks).
// The C handler may run on any thread; it reads only the atomic table.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "pep3156/handle.hpp"

namespace pep3156::reference {

class SignalHandlers {
 public:
  /// Opens the self-pipe (std::system_error if it cannot).
  SignalHandlers();
  /// Removes every handler (restoring SIG_DFL) and closes the pipe.
  ~SignalHandlers();
  SignalHandlers(const SignalHandlers&) = delete;
  SignalHandlers& operator=(const SignalHandlers&) = delete;

  /// The pipe's read end, for the loop to watch.
  int read_fd() const noexcept { return read_fd_; }

  /// Runs `handle` for every delivery of `sig` from now on, replacing this
  /// loop's previous handler for it (LOOP-SIGNAL-REPLACE). RuntimeError if
  /// another loop owns `sig`; std::system_error if sigaction() fails.
  void add(int sig, std::shared_ptr<HandleState> handle);

  /// Removes the handler and restores SIG_DFL; false if there was none
  /// (LOOP-SIGNAL-REMOVE).
  bool remove(int sig);

  /// Reads the signals delivered since the last call; returns their
  /// handlers in order, one per delivery.
  std::vector<std::shared_ptr<HandleState>> take_delivered();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::map<int, std::shared_ptr<HandleState>> handlers_;
};

}  // namespace pep3156::reference
