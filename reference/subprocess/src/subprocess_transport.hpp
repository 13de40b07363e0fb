// SubprocessTransport: a child process and the pipes to its standard
// streams, for subprocess_exec() and subprocess_shell() (PEP 3156,
// "Subprocess Transports" and "Subprocess Protocol"). asyncio's
// base_subprocess.py is the model.
//
// Each pipe is one of reference/net's stream transports (stdin a write
// pipe, stdout and stderr read pipes) whose protocol is a small Pipe that
// passes what happens on it to the SubprocessProtocol with the pipe's fd
// number: pipe_data_received(fd, data), pipe_connection_lost(fd, exc),
// and for stdin pause_writing()/resume_writing().
//
// The order the protocol sees:
//   connection_made        first, once: from start(), which runs in a loop
//                          callback (the Task of subprocess_exec()) before
//                          the loop can deliver anything else about the
//                          child, and after the pipes exist (so it may
//                          write to get_pipe_transport(0) at once)
//   pipe_data_received,    as the child writes and closes its streams
//   pipe_connection_lost
//   process_exited         once the child has exited and been reaped
//                          (before or after the pipes close: the PEP leaves
//                          it open, PROTO-SUBPROC-ORDER-UNDEFINED)
//   connection_lost        once, last: after process_exited() and every
//                          pipe's pipe_connection_lost()
//
// Lifetime (D-TR-1): the loop holds the transport while the child runs (the
// pidfd reader or the polling timer holds it) and each pipe transport holds
// it until that pipe is lost; after connection_lost() the transport
// releases its protocol.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "child.hpp"
#include "pep3156/event_loop.hpp"

namespace pep3156::reference::subprocess {

class SubprocessTransport final : public pep3156::SubprocessTransport,
                                  public std::enable_shared_from_this<SubprocessTransport> {
  struct Private {};

 public:
  /// Spawns the child, puts transports on its pipes and calls
  /// protocol->connection_made(). Call it from a loop callback. Throws
  /// std::system_error if the child cannot be started (it is reaped), or
  /// what connection_made() threw (the transport is then closed).
  static std::shared_ptr<SubprocessTransport> start(AbstractEventLoop& loop,
                                                    std::shared_ptr<SubprocessProtocol> protocol,
                                                    const std::vector<std::string>& args,
                                                    const SubprocessOptions& options);

  SubprocessTransport(Private, AbstractEventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol,
                      pid_t pid);

  int get_pid() const override { return child_.pid(); }
  std::optional<int> get_returncode() const override { return child_.returncode(); }
  /// The transport of the pipe to fd 0, 1 or 2 (a WriteTransport for 0,
  /// ReadTransports for 1 and 2), also once it is closed; null where that
  /// stream is not a pipe (TR-SUBPROC-PIPE-TRANSPORT).
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override;
  /// Nothing once the child has been reaped (TR-SUBPROC-SIGNALS).
  void send_signal(int signal) override;
  /// D-TR-7: SIGTERM if the child still runs, then closes the pipes. The
  /// protocol still gets process_exited() and connection_lost().
  void close() override;
  bool is_closing() const override { return closed_; }
  /// No keys of its own (D-TR-9): always empty.
  std::any get_extra_info(std::string_view name) const override;

 private:
  class Pipe;

  void connect_pipes(std::array<Socket, 3>& pipes);
  void pipe_data_received(int fd, BytesView data);
  void pipe_connection_lost(int fd, std::exception_ptr exc);
  void pipe_pause_writing();
  void pipe_resume_writing();
  void process_exited();
  void finish_if_done();

  AbstractEventLoop& loop_;
  std::shared_ptr<SubprocessProtocol> protocol_;  // released after its connection_lost()
  Child child_;
  std::array<std::shared_ptr<BaseTransport>, 3> pipes_;
  int open_pipes_ = 0;
  bool closed_ = false;
};

}  // namespace pep3156::reference::subprocess
