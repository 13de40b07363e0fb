#include "spawn.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>

namespace pep3156::reference::subprocess {

namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}

/// A close-on-exec duplicate of `fd` numbered 3 or above; `fd` itself is
/// left alone.
Socket duplicate_above_stdio(int fd) {
  int duplicate = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (duplicate < 0) throw_errno(errno, "subprocess: fcntl(F_DUPFD_CLOEXEC)");
  return Socket(duplicate);
}

/// `fd` itself if it is 3 or above, else a duplicate that is (and `fd`
/// closes).
Socket above_stdio(Socket fd) { return fd.fd() > 2 ? std::move(fd) : duplicate_above_stdio(fd.fd()); }

/// {read end, write end}, both close-on-exec.
std::array<Socket, 2> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "subprocess: pipe2");
  return {Socket(fds[0]), Socket(fds[1])};
}

/// The paths to try for `program`: itself if it names a path, else each
/// directory of PATH -- the child's PATH, as Python's os.get_exec_path().
std::vector<std::string> program_candidates(const std::string& program, const SubprocessOptions& options) {
  if (program.find('/') != std::string::npos) return {program};
  std::string path = "/bin:/usr/bin";  // Python's os.defpath
  if (options.env) {
    if (auto found = options.env->find("PATH"); found != options.env->end()) path = found->second;
  } else if (const char* inherited = std::getenv("PATH")) {
    path = inherited;
  }
  std::vector<std::string> candidates;
  for (std::size_t start = 0;;) {
    std::size_t end = path.find(':', start);
    std::string directory = path.substr(start, end - start);
    candidates.push_back(directory.empty() ? program : directory + "/" + program);  // empty: the cwd
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return candidates;
}

/// A nullptr-terminated array of pointers into `strings`.
std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

/// Which step of the child failed, for the parent's message.
enum class Step : int { session, stdio, pass_fds, cwd, exec };

struct ChildFailure {
  Step step;
  int error;
};

/// What the child does between fork() and exec, prepared by the parent.
struct ChildPlan {
  std::vector<std::string> candidates;
  char** argv;
  char** envp;
  std::array<int, 3> stdio{-1, -1, -1};  // what to dup2() into 0, 1, 2 (-1: inherit)
  bool stderr_to_stdout = false;
  std::vector<int> pass_fds;
  bool close_fds = true;
  std::vector<int> kept_fds;  // sorted: pass_fds and the error pipe, all above 2
  int max_fd = 0;             // for closing one by one without close_range()
  const char* cwd = nullptr;
  bool new_session = false;
  bool restore_signals = true;
  sigset_t signal_mask;  // the parent's, restored just before exec
};

/// Closes every descriptor from `low` to `high` (async-signal-safe).
void close_between(unsigned low, unsigned high, int max_fd) {
  if (low > high) return;
  if (::close_range(low, high, 0) == 0) return;
  // Kernels before 5.9 have no close_range(): one by one.
  for (unsigned fd = low; fd <= high && fd < static_cast<unsigned>(max_fd); ++fd)
    ::close(static_cast<int>(fd));
}

/// The child's end: errno through the error pipe, and exit.
[[noreturn]] void fail(int error_pipe, Step step) noexcept {
  ChildFailure failure{step, errno};
  // A signal may interrupt the write (the parent's handlers are still in
  // place): lost, the failure would pass for a successful exec
  // (LOOP-SUBPROC-EXEC).
  while (::write(error_pipe, &failure, sizeof failure) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

/// The child, from fork() to exec. Async-signal-safe calls only.
[[noreturn]] void become_child(const ChildPlan& plan, int error_pipe) noexcept {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction action;
    if (::sigaction(sig, nullptr, &action) != 0) continue;
    bool handled = action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
    bool restored =
        plan.restore_signals && action.sa_handler == SIG_IGN && (sig == SIGPIPE || sig == SIGXFSZ);
    if (!handled && !restored) continue;
    action.sa_handler = SIG_DFL;
    action.sa_flags = 0;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
  }
  if (plan.new_session && ::setsid() < 0) fail(error_pipe, Step::session);
  for (int n = 0; n < 3; ++n) {
    if (plan.stdio[n] >= 0 && ::dup2(plan.stdio[n], n) < 0) fail(error_pipe, Step::stdio);
  }
  if (plan.stderr_to_stdout && ::dup2(1, 2) < 0) fail(error_pipe, Step::stdio);  // LOOP-SUBPROC-STDERR-STDOUT
  for (int fd : plan.pass_fds) {
    if (::fcntl(fd, F_SETFD, 0) < 0) fail(error_pipe, Step::pass_fds);
  }
  if (plan.close_fds) {
    unsigned low = 3;
    for (int kept : plan.kept_fds) {
      close_between(low, static_cast<unsigned>(kept) - 1, plan.max_fd);
      low = static_cast<unsigned>(kept) + 1;
    }
    close_between(low, UINT_MAX, plan.max_fd);
  }
  if (plan.cwd != nullptr && ::chdir(plan.cwd) < 0) fail(error_pipe, Step::cwd);
  ::sigprocmask(SIG_SETMASK, &plan.signal_mask, nullptr);
  // Every candidate in turn; the error reported is the first that is not
  // "no such file" (EACCES from one directory beats ENOENT from the next),
  // as CPython's.
  int error = 0;
  for (const std::string& path : plan.candidates) {
    ::execve(path.c_str(), plan.argv, plan.envp);
    if (errno != ENOENT && errno != ENOTDIR && error == 0) error = errno;
  }
  if (error != 0) errno = error;
  fail(error_pipe, Step::exec);
}

std::string describe(const ChildFailure& failure, const std::string& program,
                     const SubprocessOptions& options) {
  switch (failure.step) {
    case Step::exec:
      return "cannot run '" + program + "'";
    case Step::cwd:
      return "cannot change to the directory '" + options.cwd.value_or("") + "'";
    case Step::session:
      return "setsid() failed in the child";
    case Step::stdio:
      return "cannot set up the child's standard streams";
    case Step::pass_fds:
      return "cannot pass the descriptors of pass_fds";
  }
  return "the child failed";
}

/// Waits for the child that failed to exec; it exits at once.
void reap_failed_child(pid_t pid) {
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

/// Opens what `options` asks for the child's standard streams: the
/// parent's ends of pipes go to `child`, the child's ends to `child_ends`
/// and `plan`.
void set_up_stdio(const SubprocessOptions& options, ChildPlan& plan, SpawnedChild& child,
                  std::array<Socket, 3>& child_ends) {
  const Stdio* stdio[] = {&options.stdin_, &options.stdout_, &options.stderr_};
  for (int n = 0; n < 3; ++n) {
    switch (stdio[n]->kind) {
      case Stdio::Kind::pipe: {
        auto [read_end, write_end] = make_pipe();
        child.pipes[n] = n == 0 ? std::move(write_end) : std::move(read_end);
        child_ends[n] = above_stdio(n == 0 ? std::move(read_end) : std::move(write_end));
        int flags = ::fcntl(child.pipes[n].fd(), F_GETFL);
        if (flags < 0 || ::fcntl(child.pipes[n].fd(), F_SETFL, flags | O_NONBLOCK) < 0) {
          throw_errno(errno, "subprocess: fcntl(O_NONBLOCK)");
        }
        break;
      }
      case Stdio::Kind::devnull: {
        int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) throw_errno(errno, "subprocess: open(/dev/null)");
        child_ends[n] = above_stdio(Socket(devnull));
        break;
      }
      case Stdio::Kind::fd:
        child_ends[n] = duplicate_above_stdio(stdio[n]->fd);  // the caller keeps theirs
        break;
      case Stdio::Kind::stdout_:
        plan.stderr_to_stdout = true;
        break;
      case Stdio::Kind::inherit:
        break;
    }
    plan.stdio[n] = child_ends[n].fd();
  }
}

/// fork() with every signal blocked, so no handler of the parent's runs in
/// the child before it resets them; the parent's mask is restored after.
pid_t fork_child(ChildPlan& plan, int error_fd) {
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &plan.signal_mask);
  pid_t pid = ::fork();
  int fork_error = errno;
  if (pid == 0) become_child(plan, error_fd);
  ::pthread_sigmask(SIG_SETMASK, &plan.signal_mask, nullptr);
  if (pid < 0) throw_errno(fork_error, "subprocess: fork");
  return pid;
}

}  // namespace

SpawnedChild spawn(const std::vector<std::string>& args, const SubprocessOptions& options) {
  const std::string program = options.executable.value_or(args.at(0));
  ChildPlan plan;
  plan.candidates = program_candidates(program, options);

  std::vector<std::string> argv_strings = args;
  std::vector<char*> argv = c_array(argv_strings);
  plan.argv = argv.data();
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  if (options.env) {
    for (const auto& [name, value] : *options.env) env_strings.push_back(name + "=" + value);
    envp = c_array(env_strings);
    plan.envp = envp.data();
  } else {
    plan.envp = environ;
  }

  // The child's standard streams; `child_ends` close in the parent once it
  // has forked.
  SpawnedChild child;
  std::array<Socket, 3> child_ends;
  set_up_stdio(options, plan, child, child_ends);

  auto [error_read, error_write] = make_pipe();
  error_write = above_stdio(std::move(error_write));
  plan.pass_fds = options.pass_fds;
  plan.close_fds = options.close_fds;
  plan.kept_fds = options.pass_fds;
  plan.kept_fds.push_back(error_write.fd());
  std::sort(plan.kept_fds.begin(), plan.kept_fds.end());
  std::erase_if(plan.kept_fds, [](int fd) { return fd < 3; });
  plan.kept_fds.erase(std::unique(plan.kept_fds.begin(), plan.kept_fds.end()), plan.kept_fds.end());
  plan.max_fd = static_cast<int>(::sysconf(_SC_OPEN_MAX));
  plan.cwd = options.cwd ? options.cwd->c_str() : nullptr;
  plan.new_session = options.start_new_session;
  plan.restore_signals = options.restore_signals;

  pid_t pid = fork_child(plan, error_write.fd());
  error_write.reset();  // the child's copy is the only one left: it closes at exec
  for (Socket& end : child_ends) end.reset();
  // A failed exec is an exception (LOOP-SUBPROC-EXEC): the child writes
  // its failure in one write(), but read() may return it in pieces, so
  // read to the end of the pipe (closed at exec) or of the record.
  ChildFailure failure;
  auto* record = reinterpret_cast<char*>(&failure);
  std::size_t got = 0;
  while (got < sizeof failure) {
    ssize_t n = ::read(error_read.fd(), record + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == sizeof failure) {
    reap_failed_child(pid);
    throw_errno(failure.error, describe(failure, program, options));
  }
  child.pid = pid;
  return child;
}

}  // namespace pep3156::reference::subprocess
