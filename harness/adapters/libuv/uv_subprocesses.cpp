// subprocess_exec() and subprocess_shell() on uv_spawn(): the child is a
// uv_process_t, which libuv reaps (its SIGCHLD watcher) and reports to the
// exit callback; its pipes are uv_pipe_t handles libuv creates
// (UV_CREATE_PIPE), each with a libuv stream transport whose protocol
// passes what happens to the SubprocessProtocol with the pipe's fd number.
//
// The order the protocol sees (asyncio's base_subprocess.py):
//   connection_made      first, once, from the Task that spawned the child
//   pipe_data_received,  as the child writes and closes its streams
//   pipe_connection_lost
//   process_exited       once the child has been reaped (before or after
//                        the pipes close: PROTO-SUBPROC-ORDER-UNDEFINED)
//   connection_lost      once, last
//
// What libuv does not offer: close_fds (libuv leaves a descriptor the
// caller made inheritable open in the child; everything libuv and this
// adapter open is close-on-exec) and restore_signals=false (the child
// always starts with every signal at SIG_DFL: uv__process_child_init(),
// src/unix/process.c).
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>

#include "uv_connection_setup.hpp"

namespace loopcert_libuv {

namespace {

class UvSubprocessTransport;

/// The uv_process_t and, until the child has exited, its transport.
class UvProcess final : public UvHandleOwner {
 public:
  uv_process_t process{};
  std::shared_ptr<UvSubprocessTransport> transport;
  UvProcess() { process.data = static_cast<UvHandleOwner*>(this); }
  ~UvProcess() override;
  static UvProcess& of(uv_process_t* process) {
    return *static_cast<UvProcess*>(static_cast<UvHandleOwner*>(process->data));
  }
};

class UvSubprocessTransport final : public SubprocessTransport,
                                    public std::enable_shared_from_this<UvSubprocessTransport> {
 public:
  UvSubprocessTransport(UvEventLoop& loop, std::shared_ptr<SubprocessProtocol> protocol, UvProcess* process)
      : loop_(loop), protocol_(std::move(protocol)), process_(process), pid_(process->process.pid) {}

  /// Puts a transport on each pipe libuv made, then tells the protocol.
  void start(std::array<UvStreamPtr, 3>& pipes) {
    process_->transport = shared_from_this();
    for (int fd = 0; fd < 3; ++fd) {
      if (!pipes[fd]) continue;
      auto pipe = std::make_shared<Pipe>(shared_from_this(), fd);
      if (fd == 0) {
        pipes_[fd] = start_write_pipe_transport(loop_, std::move(pipes[fd]), pipe);
      } else {
        pipes_[fd] = start_stream_transport(loop_, std::move(pipes[fd]), StreamKind::read_pipe, pipe);
      }
      ++open_pipes_;
    }
    try {
      protocol_->connection_made(shared_from_this());
    } catch (...) {
      close();
      throw;
    }
  }

  int get_pid() const override { return pid_; }
  std::optional<int> get_returncode() const override { return returncode_; }
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override {
    return fd >= 0 && fd < 3 ? pipes_[fd] : nullptr;  // TR-SUBPROC-PIPE-TRANSPORT
  }

  /// Nothing once the child has been reaped: its pid may be another
  /// process's by now (TR-SUBPROC-SIGNALS).
  void send_signal(int signal) override {
    if (returncode_ || !process_) return;
    if (int status = uv_process_kill(&process_->process, signal); status < 0 && status != UV_ESRCH) {
      throw_uv_error(status, "send_signal()");
    }
  }

  /// D-TR-7: SIGTERM if the child still runs, then the pipes close. The
  /// protocol still gets process_exited() and connection_lost().
  void close() override {
    if (closed_) return;
    closed_ = true;
    if (!returncode_) send_signal(SIGTERM);
    for (auto& pipe : pipes_) {
      if (pipe) pipe->close();
    }
  }
  bool is_closing() const override { return closed_; }
  std::any get_extra_info(std::string_view) const override { return {}; }  // D-TR-9
  using BaseTransport::get_extra_info;

  /// libuv's exit callback (no user code): the child has been reaped.
  void exited(int64_t exit_status, int term_signal) {
    returncode_ = term_signal != 0 ? -term_signal : static_cast<int>(exit_status);
    UvHandleOwner::close_handle(reinterpret_cast<uv_handle_t*>(&process_->process));
    process_ = nullptr;
    loop_.post([self = shared_from_this()] {
      self->exit_reported_ = true;
      try {
        self->protocol_->process_exited();  // PROTO-SUBPROC-EXITED
      } catch (...) {
        self->finish_if_done();
        throw;
      }
      self->finish_if_done();
    });
  }

  void process_gone() noexcept { process_ = nullptr; }

 private:
  /// The protocol of one pipe's transport: tells the SubprocessProtocol.
  class Pipe final : public Protocol {
   public:
    Pipe(std::shared_ptr<UvSubprocessTransport> owner, int fd) : owner_(std::move(owner)), fd_(fd) {}
    void data_received(BytesView data) override { owner_->protocol_->pipe_data_received(fd_, data); }
    bool eof_received() override { return false; }
    void pause_writing() override { owner_->protocol_->pause_writing(); }
    void resume_writing() override { owner_->protocol_->resume_writing(); }
    void connection_lost(std::exception_ptr exc) override {
      auto owner = std::move(owner_);  // held until its pipe is lost (D-TR-1)
      owner->pipe_lost(fd_, std::move(exc));
    }

   private:
    std::shared_ptr<UvSubprocessTransport> owner_;
    int fd_;
  };

  void pipe_lost(int fd, std::exception_ptr exc) {
    --open_pipes_;
    try {
      protocol_->pipe_connection_lost(fd, std::move(exc));  // PROTO-SUBPROC-PIPE-LOST
    } catch (...) {
      finish_if_done();
      throw;
    }
    finish_if_done();
  }

  void finish_if_done() {
    if (!exit_reported_ || open_pipes_ > 0 || !protocol_) return;
    auto protocol = std::move(protocol_);
    protocol->connection_lost(nullptr);
  }

  UvEventLoop& loop_;
  std::shared_ptr<SubprocessProtocol> protocol_;  // released with its connection_lost()
  UvProcess* process_;                            // null once reaped
  int pid_;
  std::array<std::shared_ptr<BaseTransport>, 3> pipes_;
  int open_pipes_ = 0;
  std::optional<int> returncode_;
  bool exit_reported_ = false;
  bool closed_ = false;
};

UvProcess::~UvProcess() {
  if (transport) transport->process_gone();  // the loop closed under a running child
}

void check_no_nul(const std::string& text, const char* what) {
  if (text.find('\0') != std::string::npos)
    throw ValueError(std::string("subprocess: a NUL byte in ") + what);
}

/// The checks D-TIER-3 wants thrown by the call.
void check_arguments(const std::vector<std::string>& args, const SubprocessOptions& options) {
  if (args.empty()) throw ValueError("subprocess_exec(): args must name a program");
  for (const std::string& arg : args) check_no_nul(arg, "args");
  check_no_nul(options.executable.value_or(""), "executable");
  check_no_nul(options.cwd.value_or(""), "cwd");
  for (const auto& [name, value] : options.env.value_or(std::map<std::string, std::string>{})) {
    check_no_nul(name + value, "env");
    if (name.empty() || name.find('=') != std::string::npos) {
      throw ValueError("subprocess: '" + name + "' cannot name an environment variable");
    }
  }
  // Stdio::to_stdout() means "where stdout goes": for stderr only.
  if (options.stdin_.kind == Stdio::Kind::stdout_ || options.stdout_.kind == Stdio::Kind::stdout_) {
    throw ValueError("subprocess: Stdio::to_stdout() is for stderr only");
  }
  bool negative =
      std::any_of(options.pass_fds.begin(), options.pass_fds.end(), [](int fd) { return fd < 0; });
  for (const Stdio* stdio : {&options.stdin_, &options.stdout_, &options.stderr_}) {
    negative = negative || (stdio->kind == Stdio::Kind::fd && stdio->fd < 0);
  }
  if (negative) throw ValueError("subprocess: a negative descriptor");
}

/// A C array of pointers into `strings`, null-terminated, for uv_spawn().
std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

/// What uv_spawn() is given for each of the child's descriptors, and the
/// pipes it makes for them.
struct ChildStdio {
  std::vector<uv_stdio_container_t> containers;
  std::array<UvStreamPtr, 3> pipes;
  Socket shared_output;  // the child's end of stdout when stderr goes there too

  ChildStdio(UvEventLoop& loop, const SubprocessOptions& options) {
    int highest = 2;
    for (int fd : options.pass_fds) highest = std::max(highest, fd);
    containers.assign(static_cast<std::size_t>(highest) + 1, uv_stdio_container_t{UV_IGNORE, {}});
    bool stderr_to_stdout = options.stderr_.kind == Stdio::Kind::stdout_;
    if (stderr_to_stdout && options.stdout_.kind == Stdio::Kind::pipe) {
      // One pipe for both (LOOP-SUBPROC-STDERR-STDOUT): libuv's
      // UV_CREATE_PIPE makes one per descriptor, so make it here.
      uv_os_sock_t ends[2];
      if (int status = uv_socketpair(SOCK_STREAM, 0, ends, 0, 0); status < 0)
        throw_uv_error(status, "socketpair");
      shared_output.reset(ends[1]);
      pipes[1] = pipe_handle(loop);
      if (int status = uv_pipe_open(&pipes[1]->pipe, ends[0]); status < 0) {
        ::close(ends[0]);
        throw_uv_error(status, "uv_pipe_open()");
      }
      containers[1] = inherit(shared_output.fd());
      containers[2] = inherit(shared_output.fd());
    } else {
      set(loop, 1, options.stdout_);
      set(loop, 2, stderr_to_stdout ? options.stdout_ : options.stderr_);
      if (stderr_to_stdout && options.stdout_.kind == Stdio::Kind::inherit) containers[2] = inherit(1);
    }
    set(loop, 0, options.stdin_);
    for (int fd : options.pass_fds) containers[fd] = inherit(fd);
  }

 private:
  static uv_stdio_container_t inherit(int fd) {
    uv_stdio_container_t container{UV_INHERIT_FD, {}};
    container.data.fd = fd;
    return container;
  }

  void set(UvEventLoop& loop, int fd, const Stdio& stdio) {
    switch (stdio.kind) {
      case Stdio::Kind::pipe:  // LOOP-SUBPROC-STDIO-DEFAULT-PIPE
        pipes[fd] = pipe_handle(loop);
        // stdin both ways: libuv then lets the parent read its end, which
        // is how the transport learns that the child closed its stdin
        // (PROTO-SUBPROC-PIPE-LOST).
        containers[fd].flags = static_cast<uv_stdio_flags>(
            UV_CREATE_PIPE | (fd == 0 ? UV_READABLE_PIPE | UV_WRITABLE_PIPE : UV_WRITABLE_PIPE));
        containers[fd].data.stream = &pipes[fd]->stream;
        break;
      case Stdio::Kind::devnull:
        containers[fd].flags = UV_IGNORE;  // libuv opens /dev/null for 0, 1 and 2
        break;
      case Stdio::Kind::inherit:
        containers[fd] = inherit(fd);
        break;
      case Stdio::Kind::fd:
        containers[fd] = inherit(stdio.fd);
        break;
      case Stdio::Kind::stdout_:
        break;  // handled by the constructor
    }
  }
};

Coroutine<SubprocessConnection> spawn(UvEventLoop& loop, SubprocessProtocolFactory factory,
                                      std::vector<std::string> args, SubprocessOptions options) {
  std::shared_ptr<SubprocessProtocol> protocol = make_protocol(factory);  // LOOP-PIPE-FACTORY-ONCE
  ChildStdio stdio(loop, options);
  std::vector<char*> argv = c_strings(args);
  std::vector<std::string> environment;
  if (options.env) {
    for (const auto& [name, value] : *options.env) environment.push_back(name + "=" + value);
  }
  std::vector<char*> envp = c_strings(environment);

  uv_process_options_t spawn_options{};
  spawn_options.exit_cb = [](uv_process_t* process, int64_t exit_status, int term_signal) {
    auto& owner = UvProcess::of(process);
    if (owner.transport) std::exchange(owner.transport, nullptr)->exited(exit_status, term_signal);
  };
  spawn_options.file = options.executable ? options.executable->c_str() : args.front().c_str();
  spawn_options.args = argv.data();  // LOOP-SUBPROC-EXEC: argv[0] stays args[0]
  spawn_options.env = options.env ? envp.data() : nullptr;
  spawn_options.cwd = options.cwd ? options.cwd->c_str() : nullptr;           // LOOP-SUBPROC-PASSTHROUGH
  if (options.start_new_session) spawn_options.flags |= UV_PROCESS_DETACHED;  // setsid()
  spawn_options.stdio_count = static_cast<int>(stdio.containers.size());
  spawn_options.stdio = stdio.containers.data();

  auto* process = new UvProcess;  // freed by its close callback
  int status = uv_spawn(loop.uv(), &process->process, &spawn_options);
  if (status < 0) {
    UvHandleOwner::close_handle(reinterpret_cast<uv_handle_t*>(&process->process));  // libuv wants it closed
    throw_uv_error(status, "spawn " + std::string(spawn_options.file));
  }
  stdio.shared_output.reset();  // the child has its copy
  auto transport = std::make_shared<UvSubprocessTransport>(loop, protocol, process);
  transport->start(stdio.pipes);
  co_return SubprocessConnection{transport, protocol};  // LOOP-PIPE-RESULT-PAIR
}

}  // namespace

Future<SubprocessConnection> UvEventLoop::subprocess_exec(SubprocessProtocolFactory factory,
                                                          std::vector<std::string> args,
                                                          SubprocessOptions options) {
  check_open("subprocess_exec()");
  check_arguments(args, options);
  return create_task(spawn(*this, std::move(factory), std::move(args), std::move(options)));
}

Future<SubprocessConnection> UvEventLoop::subprocess_shell(SubprocessProtocolFactory factory,
                                                           std::string command, SubprocessOptions options) {
  // LOOP-SUBPROC-TYPES: subprocess_exec() of the shell; options.executable
  // replaces /bin/sh, as in Python.
  return subprocess_exec(std::move(factory), {"/bin/sh", "-c", std::move(command)}, std::move(options));
}

}  // namespace loopcert_libuv
