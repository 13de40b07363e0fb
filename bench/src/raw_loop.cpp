#include "raw_loop.hpp"

#include <sys/epoll.h>

#include <cerrno>

#include "pep3156/errors.hpp"

namespace loopbench {

void RawLoop::run_forever() {
  epoll_event events[64];
  while (!stopping_) {
    int timeout_ms = ready_.empty() ? -1 : 0;
    if (::epoll_wait(epoll_.get(), events, 64, timeout_ms) < 0 && errno != EINTR) {
      pep3156::throw_errno("epoll_wait");
    }
    running_.swap(ready_);
    for (const Callback& callback : running_) callback.function(callback.argument);
    running_.clear();
  }
  stopping_ = false;
}

}  // namespace loopbench
