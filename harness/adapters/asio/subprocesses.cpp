// subprocess_exec() and subprocess_shell(). Standalone Asio has no process
// API: the child is started, reaped and told to its protocol by
// pep3156_net_support (reference/net/spawned_subprocess.hpp: posix_spawn(),
// a pidfd, waitid(), pidfd_send_signal()); its exit is watched with Asio's
// posix::stream_descriptor::async_wait() on its pidfd (readable once it has
// exited), and its pipes are the adapter's pipe transports.
#include "asio_event_loop.hpp"
#include "reference/net/spawned_subprocess.hpp"
#include "stream_transport.hpp"

namespace loopcert_asio {

namespace {

using pep3156::reference::net::SpawnedSubprocess;

class ProcessTransport final : public SpawnedSubprocess, public LoopResource {
  struct Private {};

 public:
  /// Spawns the child, puts transports on its pipes and calls
  /// connection_made(). From a loop callback.
  static std::shared_ptr<ProcessTransport> start(AsioEventLoop& loop,
                                                 std::shared_ptr<pep3156::SubprocessProtocol> protocol,
                                                 const std::vector<std::string>& args,
                                                 const pep3156::SubprocessOptions& options) {
    auto spawned = pep3156::reference::net::spawn_child(args, options);
    auto transport = std::make_shared<ProcessTransport>(Private{}, loop, std::move(protocol), spawned.pid);
    loop.track(transport);
    transport->begin(std::move(spawned.pipes));
    return transport;
  }

  ProcessTransport(Private, AsioEventLoop& loop, std::shared_ptr<pep3156::SubprocessProtocol> protocol,
                   pid_t pid)
      : SpawnedSubprocess(std::move(protocol), pid),
        loop_(loop),
        exit_watch_(std::in_place, loop.context(), child().pidfd()) {}
  ~ProcessTransport() override { release_io(); }

  /// The loop closes: no more watching. The pidfd stays the ChildProcess's
  /// (release(), not close()), which kills and reaps a child still running
  /// when this transport goes.
  void release_io() noexcept override {
    if (!exit_watch_) return;
    exit_watch_->release();  // what waits ends with operation_aborted
    exit_watch_.reset();
  }

 private:
  std::shared_ptr<pep3156::BaseTransport> start_pipe(int fd, pep3156::Socket pipe,
                                                     std::shared_ptr<pep3156::Protocol> protocol) override {
    PipeDescriptor descriptor(loop_.context(), pipe.release());
    if (fd == 0) return WritePipeTransport::start(loop_, std::move(descriptor), protocol, {});
    return ReadPipeTransport::start(loop_, std::move(descriptor), protocol, {});
  }

  void watch_exit() override {
    // The pending wait holds the transport until the pidfd is readable.
    exit_watch_->async_wait(PipeDescriptor::wait_read,
                            [this, readable = on_pidfd_readable()](const asio::error_code& error) {
                              if (!error) loop_.call_soon(readable);  // else the loop closed
                            });
  }

  AsioEventLoop& loop_;
  std::optional<PipeDescriptor> exit_watch_;  // on child()'s pidfd, until the loop closes
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
