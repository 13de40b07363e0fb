// SpawnedSubprocess: the loop-free half of a subprocess transport, for the
// adapter of a library without a process API: the child (ChildProcess),
// the transports on its pipes, the protocol's call order (SubprocessCalls)
// and SubprocessTransport's methods. The adapter derives from it and
// supplies what needs its loop: a transport on a pipe, and watching the
// child's pidfd.
#pragma once

#include <array>
#include <functional>
#include <memory>

#include "pep3156/transports.hpp"
#include "reference/net/child_process.hpp"
#include "reference/net/subprocess_calls.hpp"

namespace pep3156::reference::net {

class SpawnedSubprocess : public SubprocessTransport, public std::enable_shared_from_this<SpawnedSubprocess> {
 public:
  int get_pid() const override { return child_.pid(); }
  std::optional<int> get_returncode() const override { return child_.returncode(); }
  /// Also once closed; null where that stream is not a pipe (TR-SUBPROC-PIPE-TRANSPORT).
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override;
  void send_signal(int signal) override { child_.send_signal(signal); }  // TR-SUBPROC-SIGNALS
  /// D-TR-7: SIGTERM if the child still runs, then the pipes close.
  void close() override;
  bool is_closing() const override { return closed_; }
  std::any get_extra_info(std::string_view) const override { return {}; }  // D-TR-9

 protected:
  /// Takes the child `pid` over (ChildProcess: std::system_error if its
  /// pidfd cannot be opened, the child then killed and reaped).
  SpawnedSubprocess(std::shared_ptr<SubprocessProtocol> protocol, pid_t pid);

  /// Puts a transport on each of `pipes` (start_pipe()), watches the
  /// child's exit (watch_exit()), then calls connection_made(), first of
  /// the protocol's calls. From a loop callback; closes and rethrows if
  /// connection_made() throws.
  void begin(std::array<Socket, 3> pipes);
  /// A transport on the child's pipe `fd` (taken over), with `protocol`:
  /// a write pipe's for fd 0 (the child's stdin, LOOP-PIPE-WRITE: no read
  /// methods), a read pipe's for 1 and 2.
  virtual std::shared_ptr<BaseTransport> start_pipe(int fd, Socket pipe,
                                                    std::shared_ptr<Protocol> protocol) = 0;
  /// Watches child().pidfd() once: when it is readable, the callback of
  /// on_pidfd_readable() from the ready queue.
  virtual void watch_exit() = 0;
  /// What to run once the pidfd is readable (it holds this transport):
  /// reaps the child and calls the protocol's process_exited(), once; or,
  /// if it has not exited after all, watches again.
  std::function<void()> on_pidfd_readable();

  ChildProcess& child() noexcept { return child_; }

 private:
  void pidfd_readable();

  ChildProcess child_;
  std::shared_ptr<SubprocessCalls> calls_;
  std::array<std::shared_ptr<BaseTransport>, 3> pipes_;
  bool closed_ = false;
};

}  // namespace pep3156::reference::net
