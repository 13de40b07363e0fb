#include "net_support.hpp"

#include <cerrno>
#include <exception>

namespace pep3156::libevent_adapter {

void throw_os_error(int err, const std::string& what) { std::rethrow_exception(os_error(err, what)); }

namespace {
bool sigpipe_pending() noexcept {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}
}  // namespace

SigpipeGuard::SigpipeGuard() noexcept {
  sigset_t sigpipe_only;
  sigemptyset(&sigpipe_only);
  sigaddset(&sigpipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigpipe_only, &previous_mask_);
  pending_before_ = sigpipe_pending();
}

SigpipeGuard::~SigpipeGuard() {
  if (!pending_before_ && sigpipe_pending()) {
    sigset_t sigpipe_only;
    sigemptyset(&sigpipe_only);
    sigaddset(&sigpipe_only, SIGPIPE);
    timespec now{0, 0};
    while (sigtimedwait(&sigpipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

}  // namespace pep3156::libevent_adapter
