// subprocess_exec() and subprocess_shell(). libevent has no process API:
// the child is started, reaped and told to its protocol by
// pep3156_net_support (reference/net/spawned_subprocess.hpp: posix_spawn(),
// a pidfd, waitid()); its exit is watched with a libevent event on its
// pidfd (readable once it has exited), and its pipes are
// BuffereventTransports.
#include "connection_start.hpp"
#include "net_support.hpp"
#include "reference/net/spawned_subprocess.hpp"

namespace pep3156::libevent_adapter {

namespace {

using reference::net::SpawnedSubprocess;

/// A one-shot libevent event on a child's pidfd.
class ExitWatch final : public LoopResource {
 public:
  explicit ExitWatch(LibeventEventLoop& loop) : loop_(loop) {}
  ~ExitWatch() { release(); }

  /// `on_readable` from the ready queue, once `pidfd` is readable.
  void watch(int pidfd, Callback on_readable) {
    if (!event_) {
      event_.reset(event_new(loop_.base(), pidfd, EV_READ, &on_event, this));
      if (!event_) throw RuntimeError("libevent: cannot watch a pidfd");
      loop_.attach(this);
    }
    on_readable_ = std::move(on_readable);
    if (event_add(event_.get(), nullptr) != 0) throw RuntimeError("libevent: cannot watch a pidfd");
  }

  /// The loop closes: no more watching, and the callback (which holds the
  /// transport that owns this) goes, last.
  void release() noexcept override {
    if (!event_) return;
    event_.reset();
    loop_.detach(this);
    Callback last = std::move(on_readable_);
  }

 private:
  static void on_event(evutil_socket_t, short, void* watch) {
    auto* self = static_cast<ExitWatch*>(watch);
    self->loop_.call_soon(std::move(self->on_readable_));
  }

  LibeventEventLoop& loop_;
  EventPtr event_;
  Callback on_readable_;
};

class ProcessTransport final : public SpawnedSubprocess {
  struct Private {};

 public:
  /// Spawns the child, puts transports on its pipes and calls
  /// connection_made(). From a loop callback.
  static std::shared_ptr<ProcessTransport> start(LibeventEventLoop& loop,
                                                 std::shared_ptr<SubprocessProtocol> protocol,
                                                 const std::vector<std::string>& args,
                                                 const SubprocessOptions& options) {
    reference::net::SpawnedChild spawned = reference::net::spawn_child(args, options);
    auto transport = std::make_shared<ProcessTransport>(Private{}, loop, std::move(protocol), spawned.pid);
    transport->begin(std::move(spawned.pipes));
    return transport;
  }

  ProcessTransport(Private, LibeventEventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, pid_t pid)
      : SpawnedSubprocess(std::move(protocol), pid), loop_(loop), exit_watch_(loop) {}

 private:
  std::shared_ptr<BaseTransport> start_pipe(int fd, Socket pipe,
                                            std::shared_ptr<Protocol> protocol) override {
    BuffereventPtr bev = make_bufferevent(loop_, std::move(pipe));
    if (fd == 0) return WritePipeTransport::start(loop_, std::move(bev), StreamKind::write_pipe, protocol);
    return StreamTransport::start(loop_, std::move(bev), StreamKind::read_pipe, protocol);
  }

  void watch_exit() override { exit_watch_.watch(child().pidfd(), on_pidfd_readable()); }

  LibeventEventLoop& loop_;
  ExitWatch exit_watch_;
};

Coroutine<SubprocessConnection> start_process(LibeventEventLoop& loop, SubprocessProtocolFactory factory,
                                              std::vector<std::string> args, SubprocessOptions options) {
  std::shared_ptr<SubprocessProtocol> protocol = make_protocol(factory);  // LOOP-PIPE-FACTORY-ONCE
  auto transport = ProcessTransport::start(loop, protocol, args, options);
  co_return SubprocessConnection{transport, protocol};  // LOOP-PIPE-RESULT-PAIR
}

}  // namespace

Future<SubprocessConnection> LibeventEventLoop::subprocess_exec(SubprocessProtocolFactory factory,
                                                                std::vector<std::string> args,
                                                                SubprocessOptions options) {
  check_open("subprocess_exec()");
  reference::net::check_subprocess_arguments(args, options);
  return create_task(start_process(*this, std::move(factory), std::move(args), std::move(options)));
}

Future<SubprocessConnection> LibeventEventLoop::subprocess_shell(SubprocessProtocolFactory factory,
                                                                 std::string command,
                                                                 SubprocessOptions options) {
  // LOOP-SUBPROC-TYPES: subprocess_exec() of the shell; options.executable
  // replaces /bin/sh, as in Python.
  return subprocess_exec(std::move(factory), {"/bin/sh", "-c", std::move(command)}, std::move(options));
}

}  // namespace pep3156::libevent_adapter
