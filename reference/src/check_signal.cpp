// BaseEventLoop::check_signal(), which knows POSIX's signal numbers: not in
// the Windows build, whose loops have no signals (D-PLAT-2).
#include <csignal>
#include <string>

#include "reference/base_event_loop.hpp"

namespace pep3156::reference {

void BaseEventLoop::check_signal(int sig) {
  // sigfillset() leaves out the signals glibc reserves for its threads
  // (32 and 33); sigismember() rejects numbers that are not signals.
  sigset_t valid;
  sigfillset(&valid);
  if (sig <= 0 || sig >= NSIG || sigismember(&valid, sig) != 1) {
    throw ValueError("invalid signal number " + std::to_string(sig));
  }
  if (sig == SIGKILL || sig == SIGSTOP) {
    throw ValueError("signal " + std::to_string(sig) + " cannot be caught");
  }
}

}  // namespace pep3156::reference
