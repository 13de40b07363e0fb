#include "running/process_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace loopcert {

namespace {
constexpr std::size_t kOutputTail = 8192;

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// A pipe whose ends are closed on exec unless the child says otherwise.
void make_pipe(int fds[2]) {
  if (::pipe(fds) < 0) throw_errno("pipe");
  for (int i = 0; i < 2; ++i) ::fcntl(fds[i], F_SETFD, FD_CLOEXEC);
}

/// SIGCHLD, SIGINT and SIGTERM as a readable pipe (the self-pipe trick):
/// poll() wakes the moment a case process exits, or when loopcert is told
/// to stop, and then ends every case process it started before it goes.
int signal_pipe[2] = {-1, -1};
volatile sig_atomic_t stop_signal = 0;

extern "C" void on_signal(int sig) {
  int saved = errno;
  if (sig != SIGCHLD) stop_signal = sig;
  [[maybe_unused]] ssize_t ignored = ::write(signal_pipe[1], "x", 1);
  errno = saved;
}

class SignalWakeup {
 public:
  SignalWakeup() {
    make_pipe(signal_pipe);
    for (int fd : signal_pipe) ::fcntl(fd, F_SETFL, O_NONBLOCK);
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &action, &previous_[i]);
  }
  ~SignalWakeup() {
    for (std::size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &previous_[i], nullptr);
    for (int& fd : signal_pipe) fd = (::close(fd), -1);
  }
  int fd() const { return signal_pipe[0]; }
  void clear() {
    char buffer[64];
    while (::read(signal_pipe[0], buffer, sizeof buffer) > 0) {
    }
  }
  /// The SIGINT or SIGTERM received, or 0.
  int stop_requested() const { return stop_signal; }

 private:
  static constexpr int kSignals[] = {SIGCHLD, SIGINT, SIGTERM};
  struct sigaction previous_[std::size(kSignals)]{};
};

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Running {
  std::size_t index;
  pid_t pid;
  int result_fd;  // read ends; -1 once at EOF
  int output_fd;
  std::string results;
  std::string output;
  Clock::time_point started;
  Clock::time_point deadline;
  bool killed = false;
  bool reaped = false;
  int wait_status = 0;
  std::int64_t start_ms;
};

/// loopcert's environment with `extra`'s NAME=VALUE entries in place of the
/// variables they name.
std::vector<std::string> case_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> entries;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = std::any_of(extra.begin(), extra.end(), [&](const std::string& x) {
      return entry.substr(0, entry.find('=') + 1) == std::string_view(x).substr(0, x.find('=') + 1);
    });
    if (!replaced) entries.emplace_back(entry);
  }
  entries.insert(entries.end(), extra.begin(), extra.end());
  return entries;
}

/// Pointers to `strings`, null-terminated, as execve() takes them.
std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

Running spawn(const PoolSettings& settings, std::size_t index, const std::vector<std::string>& job) {
  int results[2];
  int output[2];
  make_pipe(results);
  make_pipe(output);
  std::vector<std::string> args = settings.command;
  args.insert(args.end(), job.begin(), job.end());
  args.insert(args.end(), {"--result-fd", settings.results_on_stdout ? "1" : std::to_string(results[1])});
  std::vector<char*> argv = c_strings(args);
  std::vector<std::string> environment = case_environment(settings.environment);
  std::vector<char*> envp = c_strings(environment);

  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // The child: async-signal-safe calls only, until exec.
    ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(settings.results_on_stdout ? results[1] : output[1], 1);
    ::dup2(output[1], 2);
    if (!settings.results_on_stdout) ::fcntl(results[1], F_SETFD, 0);  // the result pipe survives exec
    ::execve(argv[0], argv.data(), envp.data());
    const char message[] = "loopcert: cannot execute the case process\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, message, sizeof message - 1);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that a kill never races the child's own setpgid
  ::close(results[1]);
  ::close(output[1]);
  ::fcntl(results[0], F_SETFL, O_NONBLOCK);
  ::fcntl(output[0], F_SETFL, O_NONBLOCK);
  auto now = Clock::now();
  Running r{index,
            pid,
            results[0],
            output[0],
            {},
            {},
            now,
            now + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(settings.timeout_seconds)),
            false,
            false,
            0,
            epoch_ms()};
  return r;
}

/// Reads what is available; closes the fd at EOF.
void drain(int& fd, std::string& into, std::size_t keep) {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      if (keep > 0 && into.size() > 2 * keep) into.erase(0, into.size() - keep);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ::close(fd);
    fd = -1;
    return;
  }
}

ChildOutcome conclude(Running& r) {
  // Anything the case left behind in its group (a subprocess it spawned)
  // goes too; the group is the case's alone.
  ::kill(-r.pid, SIGKILL);
  for (int* fd : {&r.result_fd, &r.output_fd}) {
    if (*fd >= 0) drain(*fd, *fd == r.result_fd ? r.results : r.output, kOutputTail);
    if (*fd >= 0) ::close(*fd);
  }
  ChildOutcome outcome;
  outcome.messages = decode_messages(r.results);
  outcome.output = r.output.size() > kOutputTail ? r.output.substr(r.output.size() - kOutputTail) : r.output;
  outcome.wait_status = r.wait_status;
  outcome.timed_out = r.killed;
  outcome.start_ms = r.start_ms;
  outcome.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - r.started).count();
  return outcome;
}
}  // namespace

void run_in_processes(const PoolSettings& settings, const std::vector<std::vector<std::string>>& jobs,
                      const std::function<void(std::size_t)>& started,
                      const std::function<void(std::size_t, ChildOutcome)>& done) {
  SignalWakeup signals;
  std::vector<Running> running;
  std::size_t next = 0;
  const std::size_t at_once = static_cast<std::size_t>(settings.jobs > 0 ? settings.jobs : 1);
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && running.size() < at_once) {
      running.push_back(spawn(settings, next, jobs[next]));
      started(next);
      ++next;
    }

    std::vector<pollfd> fds{{signals.fd(), POLLIN, 0}};
    auto wake_at = Clock::time_point::max();
    for (const Running& r : running) {
      if (r.result_fd >= 0) fds.push_back({r.result_fd, POLLIN, 0});
      if (r.output_fd >= 0) fds.push_back({r.output_fd, POLLIN, 0});
      if (!r.killed) wake_at = std::min(wake_at, r.deadline);
    }
    // A SIGCHLD or a case's output wakes us; otherwise the next deadline.
    auto wait =
        std::clamp<Clock::duration>(wake_at - Clock::now(), Clock::duration(0), std::chrono::seconds(1));
    int timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) throw_errno("poll");

    signals.clear();
    if (int sig = signals.stop_requested()) {
      // Told to stop: no case process outlives loopcert.
      for (Running& r : running) {
        ::kill(-r.pid, SIGKILL);
        ::waitpid(r.pid, nullptr, 0);
      }
      std::signal(sig, SIG_DFL);
      ::raise(sig);
    }
    auto now = Clock::now();
    for (std::size_t i = 0; i < running.size();) {
      Running& r = running[i];
      if (r.result_fd >= 0) drain(r.result_fd, r.results, 0);
      if (r.output_fd >= 0) drain(r.output_fd, r.output, kOutputTail);
      if (!r.killed && now >= r.deadline) {
        ::kill(-r.pid, SIGKILL);
        ::kill(r.pid, SIGKILL);
        r.killed = true;
      }
      r.reaped = ::waitpid(r.pid, &r.wait_status, WNOHANG) == r.pid;
      if (r.reaped) {
        // The case is over when its process is; conclude() drains what is
        // still buffered and ends anything it left running.
        std::size_t index = r.index;
        ChildOutcome outcome = conclude(r);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        done(index, std::move(outcome));
        continue;
      }
      ++i;
    }
  }
}

int max_jobs() {
  constexpr rlim_t kFdsPerJob = 4;
  constexpr rlim_t kFdsForLoopcert = 32;  // stdio, the signal pipe, the adapter, the reports
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<int>::max();
  }
  if (limit.rlim_cur <= kFdsForLoopcert + kFdsPerJob) return 1;
  return static_cast<int>(
      std::min<rlim_t>((limit.rlim_cur - kFdsForLoopcert) / kFdsPerJob, std::numeric_limits<int>::max()));
}

std::string self_executable(const char* argv0) {
  char path[4096];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n > 0) return std::string(path, static_cast<std::size_t>(n));
  return argv0;
}

}  // namespace loopcert
