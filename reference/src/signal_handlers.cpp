#include "signal_handlers.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>

#include "pep3156/errors.hpp"
#include "self_pipe.hpp"

namespace pep3156::reference {

namespace {

// The owner of each signal: the write end of its loop's pipe, or -1. A
// signal handler may read only lock-free atomics (or volatile
// sig_atomic_t, which is not safe across threads).
static_assert(std::atomic<int>::is_always_lock_free);
struct SignalOwners {
  SignalOwners() {
    for (auto& fd : pipe_of) fd.store(-1);
  }
  std::atomic<int> pipe_of[NSIG];
};
SignalOwners owners;

extern "C" void forward_signal_to_loop(int sig) {
  int saved_errno = errno;  // the interrupted code may be about to read errno
  int fd = owners.pipe_of[sig].load();
  unsigned char number = static_cast<unsigned char>(sig);
  // EAGAIN, a full pipe: the loop has plenty to wake up for already.
  if (fd >= 0 && ::write(fd, &number, 1) < 0) {
  }
  errno = saved_errno;
}

/// sigaction(sig, handler); returns errno, or 0.
int set_disposition(int sig, void (*handler)(int)) noexcept {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: the program's other blocking calls resume after the
  // handler instead of failing with EINTR (the loop's own wait retries
  // EINTR anyway).
  action.sa_flags = SA_RESTART;
  return ::sigaction(sig, &action, nullptr) == 0 ? 0 : errno;
}

}  // namespace

SignalHandlers::SignalHandlers() { open_self_pipe(read_fd_, write_fd_); }

SignalHandlers::~SignalHandlers() {
  while (!handlers_.empty()) remove(handlers_.begin()->first);
  ::close(read_fd_);
  ::close(write_fd_);
}

void SignalHandlers::add(int sig, std::shared_ptr<HandleState> handle) {
  int owner = -1;
  if (!owners.pipe_of[sig].compare_exchange_strong(owner, write_fd_) && owner != write_fd_) {
    throw RuntimeError("add_signal_handler(): signal " + std::to_string(sig) +
                       " is handled by another event loop");
  }
  if (!handlers_.contains(sig)) {
    if (int error = set_disposition(sig, forward_signal_to_loop)) {
      owners.pipe_of[sig].store(-1);
      throw_system_error(error, "sigaction");
    }
  }
  std::shared_ptr<HandleState> replaced = std::exchange(handlers_[sig], std::move(handle));
  if (replaced) replaced->cancel();  // even if its delivery is already queued
}

bool SignalHandlers::remove(int sig) {
  auto it = handlers_.find(sig);
  if (it == handlers_.end()) return false;
  std::shared_ptr<HandleState> removed = std::move(it->second);
  handlers_.erase(it);
  // SIG_DFL first, so no new delivery reaches our handler; then the pipe
  // is no longer this signal's. sigaction() cannot fail for a signal it
  // accepted before.
  set_disposition(sig, SIG_DFL);
  owners.pipe_of[sig].store(-1);
  removed->cancel();
  return true;
}

std::vector<std::shared_ptr<HandleState>> SignalHandlers::take_delivered() {
  std::vector<std::shared_ptr<HandleState>> delivered;
  unsigned char numbers[64];
  ssize_t count;
  while ((count = ::read(read_fd_, numbers, sizeof numbers)) > 0 || (count < 0 && errno == EINTR)) {
    for (ssize_t i = 0; i < count; ++i) {
      auto it = handlers_.find(numbers[i]);
      if (it != handlers_.end()) delivered.push_back(it->second);
    }
  }
  return delivered;
}

}  // namespace pep3156::reference
