#include "reference/net/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <system_error>

#include "pep3156/errors.hpp"
#include "reference/net/socket_ops.hpp"

extern char** environ;

namespace pep3156::reference::net {

namespace {

[[noreturn]] void throw_os_error(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// glibc 2.36 has no wrappers for these.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

void check_no_nul(const std::string& text, const char* what) {
  if (text.find('\0') != std::string::npos)
    throw ValueError(std::string("subprocess: embedded NUL byte in ") + what);
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

}  // namespace

void check_subprocess_arguments(const std::vector<std::string>& args, const SubprocessOptions& options) {
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

namespace {

// The child's standard streams: a pipe per Stdio::pipe (the parent's end
// returned, non-blocking), /dev/null, stdout for stderr, a given fd. The
// child's pipe ends are kept in `child_ends` until the spawn. Descriptors
// made here are close-on-exec and numbered above 2, so that dup2()ing the
// child's ends into 0, 1 and 2 overwrites nothing still needed.
std::array<Socket, 3> plan_standard_streams(const SubprocessOptions& options, SpawnPlan& plan,
                                            std::array<Socket, 3>& child_ends) {
  std::array<Socket, 3> parent_ends;
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
  return parent_ends;
}

// pass_fds stay open; with close_fds everything else above 2 is closed:
// each open one below the last kept, closefrom() after it.
void plan_inherited_fds(const SubprocessOptions& options, SpawnPlan& plan) {
  for (int fd : options.pass_fds) posix_spawn_file_actions_adddup2(&plan.actions, fd, fd);
  if (!options.close_fds) return;
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

// Every signal back to its default (the parent's loop's handlers must not
// run in the child before exec); an ignored SIGPIPE or SIGXFSZ too with
// restore_signals (Python's default), others stay ignored.
void plan_signals(const SubprocessOptions& options, SpawnPlan& plan) {
  short flags = POSIX_SPAWN_SETSIGDEF;
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
}

}  // namespace

SpawnedChild spawn_child(const std::vector<std::string>& args, const SubprocessOptions& options) {
  SpawnPlan plan;
  std::array<Socket, 3> child_ends;
  std::array<Socket, 3> parent_ends = plan_standard_streams(options, plan, child_ends);
  plan_inherited_fds(options, plan);
  if (options.cwd) posix_spawn_file_actions_addchdir_np(&plan.actions, options.cwd->c_str());
  plan_signals(options, plan);

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
  return SpawnedChild{pid, std::move(parent_ends)};
}

ChildProcess::ChildProcess(pid_t pid) : pid_(pid), pidfd_(pidfd_open(pid)) {
  if (!pidfd_) {
    int error = errno;
    ::kill(pid, SIGKILL);  // not reaped yet, so the pid is still ours
    ::waitpid(pid, nullptr, 0);
    throw_os_error(error, "pidfd_open");
  }
}

ChildProcess::~ChildProcess() {
  if (!returncode_) {
    try {
      send_signal(SIGKILL);
    } catch (const std::system_error&) {
      // Unkillable (EPERM after a setuid exec): reaped when it exits.
    }
    reap(0);
  }
}

void ChildProcess::send_signal(int sig) {
  if (returncode_) return;
  // ESRCH: it has exited and waits to be reaped.
  if (pidfd_send_signal(pidfd_.fd(), sig) != 0 && errno != ESRCH) throw_os_error(errno, "send_signal");
}

bool ChildProcess::try_reap() noexcept { return returncode_ || reap(WNOHANG); }

bool ChildProcess::reap(int options) noexcept {
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

}  // namespace pep3156::reference::net
