// subprocess_exec() and subprocess_shell(). libevent has no process API:
// the child is started with posix_spawn() (glibc runs it with
// CLONE_VFORK and reports an exec failure as the call's error), its exit
// is watched with a libevent event on its pidfd (readable once it has
// exited), and its pipes are BuffereventTransports. Exactly our child is
// reaped, once, with waitid(P_PIDFD): no SIGCHLD handler, no waitpid(-1)
// (decision D-PIPE-1).
//
// The order the protocol sees (asyncio's base_subprocess.py):
//   connection_made        first, once the pipes exist
//   pipe_data_received, pipe_connection_lost   as the child writes and closes
//   process_exited         once reaped (before or after the pipes close,
//                          PROTO-SUBPROC-ORDER-UNDEFINED)
//   connection_lost        last, after process_exited() and every pipe
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>

#include "connection_start.hpp"
#include "net_support.hpp"

extern char** environ;

namespace pep3156::libevent_adapter {

namespace {

// glibc 2.36 has no wrappers for these.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

void check_no_nul(const std::string& text, const char* what) {
  if (text.find('\0') != std::string::npos)
    throw ValueError(std::string("subprocess: embedded NUL byte in ") + what);
}

/// The argument errors the call raises (decision D-TIER-3).
void check_arguments(const std::vector<std::string>& args, const SubprocessOptions& options) {
  if (args.empty()) throw ValueError("subprocess_exec(): args must name a program");
  for (const std::string& arg : args) check_no_nul(arg, "args");
  if (options.executable) check_no_nul(*options.executable, "executable");
  if (options.cwd) check_no_nul(*options.cwd, "cwd");
  for (const auto& [name, value] : options.env.value_or(std::map<std::string, std::string>{})) {
    check_no_nul(name + value, "env");
    if (name.empty() || name.find('=') != std::string::npos) {
      throw ValueError("subprocess: illegal environment variable name '" + name + "'");
    }
  }
  // STDOUT means "where stdout goes": only stderr can take it.
  if (options.stdin_.kind == Stdio::Kind::stdout_ || options.stdout_.kind == Stdio::Kind::stdout_) {
    throw ValueError("subprocess: Stdio::to_stdout() is for stderr only");
  }
  for (const Stdio* stdio : {&options.stdin_, &options.stdout_, &options.stderr_}) {
    if (stdio->kind == Stdio::Kind::fd && stdio->fd < 0) throw ValueError("subprocess: negative descriptor");
  }
  for (int fd : options.pass_fds) {
    if (fd < 0) throw ValueError("subprocess: negative descriptor in pass_fds");
  }
}

/// The program's path, found on the child's PATH (options.env's, else
/// ours) as Python's os.get_exec_path() would; `program` itself if it has a
/// slash or is found nowhere (posix_spawn() then reports ENOENT).
std::string find_program(const std::string& program, const SubprocessOptions& options) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = "/bin:/usr/bin";  // Python's os.defpath
  if (options.env) {
    if (auto found = options.env->find("PATH"); found != options.env->end()) path = found->second;
  } else if (const char* inherited = std::getenv("PATH")) {
    path = inherited;
  }
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = std::min(path.find(':', start), path.size());
    std::string directory = path.substr(start, end - start);
    std::string candidate = directory.empty() ? program : directory + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return program;
}

/// posix_spawn()'s file actions and attributes, freed on every path out.
struct SpawnPlan {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnPlan() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnPlan() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnPlan(const SpawnPlan&) = delete;
  SpawnPlan& operator=(const SpawnPlan&) = delete;
};

struct Spawned {
  pid_t pid;
  std::array<Socket, 3> pipes;  // the parent's ends, where a stream is a pipe
};

/// Starts the child. Descriptors made here are close-on-exec and numbered
/// above 2, so that dup2()ing the child's ends into 0, 1 and 2 overwrites
/// nothing still needed.
Spawned spawn(const std::vector<std::string>& args, const SubprocessOptions& options) {
  SpawnPlan plan;
  std::array<Socket, 3> parent_ends;
  std::array<Socket, 3> child_ends;
  const std::array<const Stdio*, 3> stdio{&options.stdin_, &options.stdout_, &options.stderr_};
  for (int target = 0; target < 3; ++target) {
    switch (stdio[target]->kind) {
      case Stdio::Kind::pipe: {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw_os_error(errno, "subprocess: pipe2");
        Socket read_end(fds[0]), write_end(fds[1]);
        Socket& child = target == 0 ? read_end : write_end;
        Socket& parent = target == 0 ? write_end : read_end;
        child_ends[target] = Socket(::fcntl(child.fd(), F_DUPFD_CLOEXEC, 3));
        if (!child_ends[target]) throw_os_error(errno, "subprocess: fcntl(F_DUPFD_CLOEXEC)");
        set_nonblocking(parent.fd());
        parent_ends[target] = std::move(parent);
        posix_spawn_file_actions_adddup2(&plan.actions, child_ends[target].fd(), target);
        break;
      }
      case Stdio::Kind::devnull:
        posix_spawn_file_actions_addopen(&plan.actions, target, "/dev/null",
                                         target == 0 ? O_RDONLY : O_WRONLY, 0);
        break;
      case Stdio::Kind::stdout_:
        posix_spawn_file_actions_adddup2(&plan.actions, 1, 2);
        break;
      case Stdio::Kind::fd:
        // dup2() onto itself clears close-on-exec (glibc >= 2.29).
        posix_spawn_file_actions_adddup2(&plan.actions, stdio[target]->fd, target);
        break;
      case Stdio::Kind::inherit:
        break;
    }
  }
  for (int fd : options.pass_fds) posix_spawn_file_actions_adddup2(&plan.actions, fd, fd);  // stays open
  if (options.close_fds) {
    // Everything above 2 but pass_fds: close_range() up to the first one
    // kept, each open one between, closefrom() after the last.
    std::vector<int> kept = options.pass_fds;
    std::sort(kept.begin(), kept.end());
    int next = 3;
    for (int fd : kept) {
      for (; next < fd; ++next) {
        if (::fcntl(next, F_GETFD) >= 0) posix_spawn_file_actions_addclose(&plan.actions, next);
      }
      next = std::max(next, fd + 1);
    }
    posix_spawn_file_actions_addclosefrom_np(&plan.actions, next);
  }
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&plan.actions, options.cwd->c_str());

  short flags = POSIX_SPAWN_SETSIGDEF;
  // Every signal back to its default (the parent's loop's handlers must not
  // run in the child before exec); an ignored SIGPIPE or SIGXFSZ too with
  // restore_signals (Python's default), others stay ignored.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current {};
    if (::sigaction(sig, nullptr, &current) != 0) continue;
    bool ignored = current.sa_handler == SIG_IGN;
    bool restore = options.restore_signals && (sig == SIGPIPE || sig == SIGXFSZ);
    if (!ignored || restore) sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&plan.attributes, &defaults);
  if (options.start_new_session) flags |= POSIX_SPAWN_SETSID;
  posix_spawnattr_setflags(&plan.attributes, flags);

  std::vector<std::string> argv_strings = args;
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (options.env) {
    for (const auto& [name, value] : *options.env) env_strings.push_back(name + "=" + value);
    for (std::string& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);
  }
  std::string program = find_program(options.executable.value_or(args.front()), options);
  pid_t pid = -1;
  int error = ::posix_spawn(&pid, program.c_str(), &plan.actions, &plan.attributes, argv.data(),
                            options.env ? envp.data() : environ);
  if (error != 0) throw_os_error(error, "subprocess: cannot run " + program);
  return Spawned{pid, std::move(parent_ends)};
}

/// Our child, from posix_spawn() until it is reaped: its pidfd, watched by
/// a libevent event. A child not reaped when this goes (its loop closed
/// first) is killed and reaped: no zombie is left with nobody to wait for it.
class Child final : public LoopResource {
 public:
  Child(LibeventEventLoop& loop, pid_t pid) : loop_(loop), pid_(pid), pidfd_(pidfd_open(pid)) {
    if (!pidfd_) {
      int error = errno;
      reap(0);
      throw_os_error(error, "pidfd_open");
    }
  }
  ~Child() {
    release();
    if (!returncode_) {
      send_signal(SIGKILL);
      reap(0);
    }
  }

  pid_t pid() const noexcept { return pid_; }
  std::optional<int> returncode() const noexcept { return returncode_; }

  /// `on_exited` runs from the ready queue once the child is reaped.
  void watch(Callback on_exited) {
    on_exited_ = std::move(on_exited);
    exited_.reset(event_new(loop_.base(), pidfd_.fd(), EV_READ | EV_PERSIST, &on_readable, this));
    if (!exited_ || event_add(exited_.get(), nullptr) != 0)
      throw RuntimeError("libevent: cannot watch a pidfd");
    loop_.attach(this);
  }

  /// Nothing once reaped: the pid may be another process's by then.
  void send_signal(int sig) {
    if (returncode_) return;
    // ESRCH: it has exited and waits to be reaped.
    if (pidfd_send_signal(pidfd_.fd(), sig) != 0 && errno != ESRCH) throw_os_error(errno, "send_signal");
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
    if (!self->reap(WNOHANG)) return;
    Callback exited = std::move(self->on_exited_);
    self->loop_.call_soon(std::move(exited));
    self->release();
  }

  /// True once reaped (returncode_ set).
  bool reap(int options) noexcept {
    siginfo_t info{};
    int result;
    do {
      result = ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.fd()), &info, WEXITED | options);
    } while (result < 0 && errno == EINTR);
    if (result < 0) {
      // ECHILD: reaped elsewhere (a waitpid(-1) of another library); the
      // status is lost. 255, as CPython's child watchers say then.
      returncode_ = 255;
      return true;
    }
    if (info.si_pid == 0) return false;                                           // still running
    returncode_ = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;  // TR-SUBPROC-RETURNCODE
    return true;
  }

  LibeventEventLoop& loop_;
  pid_t pid_;
  Socket pidfd_;
  EventPtr exited_;
  Callback on_exited_;
  std::optional<int> returncode_;
};

class ProcessTransport final : public SubprocessTransport,
                               public std::enable_shared_from_this<ProcessTransport> {
  struct Private {};

  /// The protocol of one pipe's transport: what happens on it goes to the
  /// ProcessTransport with the pipe's fd number, which it holds until the
  /// pipe is lost.
  class Pipe final : public Protocol {
   public:
    Pipe(std::shared_ptr<ProcessTransport> owner, int fd) : owner_(std::move(owner)), fd_(fd) {}
    void data_received(BytesView data) override { owner_->protocol_->pipe_data_received(fd_, data); }
    bool eof_received() override { return false; }  // the read pipe closes; connection_lost() follows
    void connection_lost(std::exception_ptr exc) override {
      std::exchange(owner_, nullptr)->pipe_connection_lost(fd_, exc);
    }
    // The stdin pipe's flow control (PROTO-SUBPROC-BASE-METHODS).
    void pause_writing() override { owner_->protocol_->pause_writing(); }
    void resume_writing() override { owner_->protocol_->resume_writing(); }

   private:
    std::shared_ptr<ProcessTransport> owner_;
    int fd_;
  };

 public:
  /// Spawns the child, puts transports on its pipes and calls
  /// connection_made(). From a loop callback.
  static std::shared_ptr<ProcessTransport> start(LibeventEventLoop& loop,
                                                 std::shared_ptr<SubprocessProtocol> protocol,
                                                 const std::vector<std::string>& args,
                                                 const SubprocessOptions& options) {
    Spawned spawned = spawn(args, options);
    auto transport = std::make_shared<ProcessTransport>(Private{}, loop, std::move(protocol), spawned.pid);
    for (int fd = 0; fd < 3; ++fd) {
      if (!spawned.pipes[fd]) continue;
      auto pipe = std::make_shared<Pipe>(transport, fd);
      BuffereventPtr bev = make_bufferevent(loop, std::move(spawned.pipes[fd]));
      if (fd == 0) {  // the child's stdin: we write (LOOP-PIPE-WRITE: no read methods)
        transport->pipes_[fd] = WritePipeTransport::start(loop, std::move(bev), StreamKind::write_pipe, pipe);
      } else {
        transport->pipes_[fd] = StreamTransport::start(loop, std::move(bev), StreamKind::read_pipe, pipe);
      }
      ++transport->open_pipes_;
    }
    transport->child_.watch([transport] { transport->process_exited(); });
    try {
      transport->protocol_->connection_made(transport);
    } catch (...) {
      transport->close();
      throw;
    }
    return transport;
  }

  ProcessTransport(Private, LibeventEventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, pid_t pid)
      : protocol_(std::move(protocol)), child_(loop, pid) {}

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
  void pipe_connection_lost(int fd, std::exception_ptr exc) {
    --open_pipes_;
    protocol_->pipe_connection_lost(fd, exc);  // PROTO-SUBPROC-PIPE-LOST
    finish_if_done();
  }

  void process_exited() {
    exited_ = true;
    protocol_->process_exited();  // PROTO-SUBPROC-EXITED: get_returncode() is set
    finish_if_done();
  }

  void finish_if_done() {
    // After process_exited() has run, not merely once the child is reaped:
    // the last pipe's loss may run between the reaping and that callback,
    // and connection_lost() comes last (D-TR-1).
    if (!exited_ || open_pipes_ > 0 || !protocol_) return;
    std::exchange(protocol_, nullptr)->connection_lost(nullptr);  // once, last (D-TR-1)
  }

  std::shared_ptr<SubprocessProtocol> protocol_;
  Child child_;
  std::array<std::shared_ptr<BaseTransport>, 3> pipes_;
  int open_pipes_ = 0;
  bool exited_ = false;  // process_exited() was called
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
  check_arguments(args, options);
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
