#include "reference/net/sigpipe_guard.hpp"

#include <cerrno>
#include <ctime>

namespace pep3156::reference::net {

namespace {
sigset_t sigpipe_only() noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  return set;
}

bool sigpipe_pending() noexcept {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}
}  // namespace

SigpipeGuard::SigpipeGuard() noexcept {
  sigset_t blocked = sigpipe_only();
  pthread_sigmask(SIG_BLOCK, &blocked, &previous_mask_);
  pending_before_ = sigpipe_pending();
}

SigpipeGuard::~SigpipeGuard() {
  if (!pending_before_ && sigpipe_pending()) {
    // Ours: consumed without waiting (the technique of sigtimedwait(2)).
    sigset_t consumed = sigpipe_only();
    timespec now{0, 0};
    while (sigtimedwait(&consumed, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

}  // namespace pep3156::reference::net
