// libuv writes to sockets and pipes with write()/writev() and no
// MSG_NOSIGNAL (src/unix/stream.c, uv__write()), and leaves SIGPIPE to the
// program (its maintainers: libuv/libuv#45, nikhilm/uvbook#4): a write to
// a peer that is gone raises SIGPIPE, whose default action kills the
// process. A loop must not change the process's signal dispositions, and
// the kit checks that a broken pipe is an EPIPE error, not a death
// (subprocesses.stdin.write_after_exit_is_a_broken_pipe). So every libuv
// call that may write runs with SIGPIPE blocked in the calling thread, and
// the SIGPIPE it raised is consumed before unblocking (sigtimedwait(2)'s
// technique); libuv then reports EPIPE as usual.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <ctime>

namespace loopcert_libuv {

class HoldBackSigpipe {
 public:
  HoldBackSigpipe() noexcept {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
    sigset_t pending;
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;  // not ours to consume
  }
  ~HoldBackSigpipe() {
    if (!already_pending_) {
      timespec no_wait{};
      while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  HoldBackSigpipe(const HoldBackSigpipe&) = delete;
  HoldBackSigpipe& operator=(const HoldBackSigpipe&) = delete;

 private:
  sigset_t sigpipe_;
  sigset_t previous_;
  bool already_pending_ = false;
};

}  // namespace loopcert_libuv
