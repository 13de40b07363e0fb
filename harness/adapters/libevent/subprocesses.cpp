// subprocess_exec() and subprocess_shell(). libevent has no process API:
// the child is started and reaped by pep3156_net_support
// (reference/net/child_process.hpp: posix_spawn(), a pidfd, waitid()), its
// exit is watched with a libevent event on its pidfd (readable once it has
// exited), and its pipes are BuffereventTransports.
// The order the protocol sees is SubprocessCalls' (reference/net/subprocess_calls.hpp).
#include <signal.h>

#include <array>

#include "connection_start.hpp"
#include "net_support.hpp"
#include "reference/net/child_process.hpp"
#include "reference/net/subprocess_calls.hpp"

namespace pep3156::libevent_adapter {

namespace {

using reference::net::ChildProcess;
using reference::net::SpawnedChild;
using reference::net::SubprocessCalls;

/// Our child (reference/net/child_process.hpp), its pidfd watched by a
/// libevent event.
class Child final : public LoopResource {
 public:
  Child(LibeventEventLoop& loop, pid_t pid) : loop_(loop), process_(pid) {}
  ~Child() { release(); }

  pid_t pid() const noexcept { return process_.pid(); }
  std::optional<int> returncode() const noexcept { return process_.returncode(); }
  void send_signal(int sig) { process_.send_signal(sig); }

  /// `on_exited` runs from the ready queue once the child is reaped.
  void watch(Callback on_exited) {
    on_exited_ = std::move(on_exited);
    exited_.reset(event_new(loop_.base(), process_.pidfd(), EV_READ | EV_PERSIST, &on_readable, this));
    if (!exited_ || event_add(exited_.get(), nullptr) != 0)
      throw RuntimeError("libevent: cannot watch a pidfd");
    loop_.attach(this);
  }

  /// The loop closes: no more watching, and the callback (which holds the
  /// transport that owns this) goes, last.
  void release() noexcept override {
    if (!exited_) return;
    exited_.reset();
    loop_.detach(this);
    Callback last = std::move(on_exited_);
  }

 private:
  static void on_readable(evutil_socket_t, short, void* child) {
    auto* self = static_cast<Child*>(child);
    if (!self->process_.try_reap()) return;
    Callback exited = std::move(self->on_exited_);
    self->loop_.call_soon(std::move(exited));
    self->release();
  }

  LibeventEventLoop& loop_;
  ChildProcess process_;
  EventPtr exited_;
  Callback on_exited_;
};

class ProcessTransport final : public SubprocessTransport,
                               public std::enable_shared_from_this<ProcessTransport> {
  struct Private {};

 public:
  /// Spawns the child, puts transports on its pipes and calls
  /// connection_made(). From a loop callback.
  static std::shared_ptr<ProcessTransport> start(LibeventEventLoop& loop,
                                                 std::shared_ptr<SubprocessProtocol> protocol,
                                                 const std::vector<std::string>& args,
                                                 const SubprocessOptions& options) {
    SpawnedChild spawned = reference::net::spawn_child(args, options);
    auto transport = std::make_shared<ProcessTransport>(Private{}, loop, protocol, spawned.pid);
    for (int fd = 0; fd < 3; ++fd) {
      if (!spawned.pipes[fd]) continue;
      auto pipe = transport->calls_->pipe_protocol(fd);
      BuffereventPtr bev = make_bufferevent(loop, std::move(spawned.pipes[fd]));
      if (fd == 0) {  // the child's stdin: we write (LOOP-PIPE-WRITE: no read methods)
        transport->pipes_[fd] = WritePipeTransport::start(loop, std::move(bev), StreamKind::write_pipe, pipe);
      } else {
        transport->pipes_[fd] = StreamTransport::start(loop, std::move(bev), StreamKind::read_pipe, pipe);
      }
    }
    transport->child_.watch([transport] { transport->calls_->process_exited(); });
    try {
      protocol->connection_made(transport);
    } catch (...) {
      transport->close();
      throw;
    }
    return transport;
  }

  ProcessTransport(Private, LibeventEventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, pid_t pid)
      : calls_(std::make_shared<SubprocessCalls>(std::move(protocol))), child_(loop, pid) {}

  int get_pid() const override { return child_.pid(); }
  std::optional<int> get_returncode() const override { return child_.returncode(); }
  /// Also once closed; null where that stream is not a pipe (TR-SUBPROC-PIPE-TRANSPORT).
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override {
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

 private:
  std::shared_ptr<SubprocessCalls> calls_;
  Child child_;
  std::array<std::shared_ptr<BaseTransport>, 3> pipes_;
  bool closed_ = false;
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
