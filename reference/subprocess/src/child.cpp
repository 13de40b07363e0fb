#include "child.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace pep3156::reference::subprocess {

namespace {
// The raw system calls: glibc wraps them only since 2.36, and that
// <sys/pidfd.h> lacks extern "C" for C++.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}
}  // namespace

Child::Child(pid_t pid, bool use_pidfd) : pid_(pid) {
  if (!use_pidfd) return;
  int pidfd = pidfd_open(pid);  // close-on-exec
  if (pidfd < 0 && errno != ENOSYS) throw std::system_error(errno, std::system_category(), "pidfd_open");
  pidfd_.reset(pidfd);
}

Child::~Child() {
  if (returncode_) return;
  send_signal(SIGKILL);
  siginfo_t info;
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED) < 0 && errno == EINTR) {
  }
}

void Child::watch(AbstractEventLoop& loop, Callback on_exited) {
  if (!pidfd_) {
    poll(loop, std::move(on_exited));
    return;
  }
  loop.add_reader(pidfd_.fd(), [this, &loop, on_exited = std::move(on_exited)]() mutable {
    if (!reap_if_exited()) return;
    Callback exited = std::move(on_exited);
    loop.remove_reader(pidfd_.fd());
    exited();
  });
}

void Child::poll(AbstractEventLoop& loop, Callback on_exited) {
  loop.call_later(kPollInterval, [this, &loop, on_exited = std::move(on_exited)]() mutable {
    if (reap_if_exited()) {
      on_exited();
    } else {
      poll(loop, std::move(on_exited));
    }
  });
}

bool Child::reap_if_exited() {
  siginfo_t info{};
  int result;
  do {
    result = pidfd_ ? ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.fd()), &info, WEXITED | WNOHANG)
                    : ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result < 0) {
    // ECHILD: something else in the process reaped our child (a
    // waitpid(-1) elsewhere); its status is lost. 255, as CPython's child
    // watchers say then.
    if (errno != ECHILD) throw std::system_error(errno, std::system_category(), "waitid");
    returncode_ = 255;
    return true;
  }
  if (info.si_pid == 0) return false;  // still running
  returncode_ = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
  return true;
}

void Child::send_signal(int sig) {
  if (returncode_) return;  // reaped: the pid may be another process's now
  int result = pidfd_ ? pidfd_send_signal(pidfd_.fd(), sig) : ::kill(pid_, sig);
  // ESRCH: it has exited and waits to be reaped; nothing to do.
  if (result != 0 && errno != ESRCH) throw std::system_error(errno, std::system_category(), "send_signal");
}

}  // namespace pep3156::reference::subprocess
