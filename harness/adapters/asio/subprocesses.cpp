// subprocess_exec() and subprocess_shell(). Standalone Asio has no process
// API: the child is started and reaped by pep3156_net_support
// (reference/net/child_process.hpp: posix_spawn(), a pidfd, waitid()), its
// exit is watched with Asio's posix::stream_descriptor::async_wait() on its
// pidfd (readable once it has exited), signals go through the pidfd
// (pidfd_send_signal), and its pipes are the adapter's pipe transports.
// The order the protocol sees is SubprocessCalls'
// (reference/net/subprocess_calls.hpp).
#include <signal.h>

#include <array>

#include "asio_event_loop.hpp"
#include "reference/net/child_process.hpp"
#include "reference/net/subprocess_calls.hpp"
#include "stream_transport.hpp"

namespace loopcert_asio {

namespace {

using pep3156::reference::net::ChildProcess;
using pep3156::reference::net::SpawnedChild;
using pep3156::reference::net::SubprocessCalls;

class ProcessTransport final : public pep3156::SubprocessTransport,
                               public LoopResource,
                               public std::enable_shared_from_this<ProcessTransport> {
  struct Private {};

 public:
  /// Spawns the child, puts transports on its pipes and calls
  /// connection_made(). From a loop callback.
  static std::shared_ptr<ProcessTransport> start(AsioEventLoop& loop,
                                                 std::shared_ptr<pep3156::SubprocessProtocol> protocol,
                                                 const std::vector<std::string>& args,
                                                 const pep3156::SubprocessOptions& options) {
    SpawnedChild spawned = pep3156::reference::net::spawn_child(args, options);
    auto transport = std::make_shared<ProcessTransport>(Private{}, loop, protocol, spawned.pid);
    loop.track(transport);
    for (int fd = 0; fd < 3; ++fd) {
      if (!spawned.pipes[fd]) continue;
      PipeDescriptor pipe(loop.context(), spawned.pipes[fd].release());
      auto pipe_protocol = transport->calls_->pipe_protocol(fd);
      if (fd == 0) {  // the child's stdin: we write (LOOP-PIPE-WRITE: no read methods)
        transport->pipes_[fd] = WritePipeTransport::start(loop, std::move(pipe), pipe_protocol, {});
      } else {
        transport->pipes_[fd] = ReadPipeTransport::start(loop, std::move(pipe), pipe_protocol, {});
      }
    }
    transport->watch_exit();
    try {
      protocol->connection_made(transport);
    } catch (...) {
      transport->close();
      throw;
    }
    return transport;
  }

  ProcessTransport(Private, AsioEventLoop& loop, std::shared_ptr<pep3156::SubprocessProtocol> protocol,
                   pid_t pid)
      : loop_(loop),
        calls_(std::make_shared<SubprocessCalls>(std::move(protocol))),
        child_(pid),
        exit_watch_(std::in_place, loop.context(), child_.pidfd()) {}
  ~ProcessTransport() override { release_io(); }

  int get_pid() const override { return child_.pid(); }
  std::optional<int> get_returncode() const override { return child_.returncode(); }
  /// Also once closed; null where that stream is not a pipe (TR-SUBPROC-PIPE-TRANSPORT).
  std::shared_ptr<pep3156::BaseTransport> get_pipe_transport(int fd) const override {
    return fd >= 0 && fd < 3 ? pipes_[fd] : nullptr;
  }
  void send_signal(int signal) override { child_.send_signal(signal); }  // TR-SUBPROC-SIGNALS
  /// D-TR-7: SIGTERM if the child still runs, then the pipes close.
  void close() override {
    if (closed_) return;
    closed_ = true;
    // The signal first: a child writing to a pipe closed under it would
    // otherwise die of SIGPIPE rather than SIGTERM.
    child_.send_signal(SIGTERM);
    for (const auto& pipe : pipes_) {
      if (pipe) pipe->close();
    }
  }
  bool is_closing() const override { return closed_; }
  std::any get_extra_info(std::string_view) const override { return {}; }  // D-TR-9

  /// The loop closes: no more watching. The pidfd stays the ChildProcess's
  /// (release(), not close()), which kills and reaps a child still running
  /// when this transport goes.
  void release_io() noexcept override {
    if (!exit_watch_) return;
    asio::error_code ignored;
    exit_watch_->cancel(ignored);
    exit_watch_->release();
    exit_watch_.reset();
  }

 private:
  void watch_exit() {
    // The pending wait holds the transport until the child is reaped.
    exit_watch_->async_wait(PipeDescriptor::wait_read,
                            [self = shared_from_this()](const asio::error_code& error) {
                              if (error) return;  // operation_aborted: the loop closed
                              self->loop_.call_soon([self] { self->on_exit_readable(); });
                            });
  }

  void on_exit_readable() {
    if (!exit_watch_) return;
    if (!child_.try_reap()) {
      watch_exit();
      return;
    }
    release_io();
    calls_->process_exited();  // get_returncode() is set
  }

  AsioEventLoop& loop_;
  std::shared_ptr<SubprocessCalls> calls_;
  ChildProcess child_;
  std::optional<PipeDescriptor> exit_watch_;  // on child_'s pidfd, until reaped or the loop closes
  std::array<std::shared_ptr<pep3156::BaseTransport>, 3> pipes_;
  bool closed_ = false;
};

pep3156::Coroutine<pep3156::SubprocessConnection> start_process(AsioEventLoop& loop,
                                                                pep3156::SubprocessProtocolFactory factory,
                                                                std::vector<std::string> args,
                                                                pep3156::SubprocessOptions options) {
  std::shared_ptr<pep3156::SubprocessProtocol> protocol = factory();  // LOOP-PIPE-FACTORY-ONCE
  if (!protocol) throw pep3156::TypeError("the protocol factory returned no protocol");
  auto transport = ProcessTransport::start(loop, protocol, args, options);
  co_return pep3156::SubprocessConnection{transport, protocol};  // LOOP-PIPE-RESULT-PAIR
}

}  // namespace

pep3156::Future<pep3156::SubprocessConnection> AsioEventLoop::subprocess_exec(
    pep3156::SubprocessProtocolFactory factory, std::vector<std::string> args,
    pep3156::SubprocessOptions options) {
  check_open("subprocess_exec()");
  pep3156::reference::net::check_subprocess_arguments(args, options);
  return create_task(start_process(*this, std::move(factory), std::move(args), std::move(options)));
}

pep3156::Future<pep3156::SubprocessConnection> AsioEventLoop::subprocess_shell(
    pep3156::SubprocessProtocolFactory factory, std::string command, pep3156::SubprocessOptions options) {
  // LOOP-SUBPROC-TYPES: subprocess_exec() of the shell; options.executable
  // replaces /bin/sh, as in Python.
  return subprocess_exec(std::move(factory), {"/bin/sh", "-c", std::move(command)}, std::move(options));
}

}  // namespace loopcert_asio
