// CoreSelectorEventLoop: steps 2 and 3 of an iteration on a Poller, the fd
// callback table behind add_reader()/add_writer(), and signal handlers.
#include "reference/core_selector_event_loop.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include "pep3156/exception_context.hpp"

namespace pep3156::reference {

CoreSelectorEventLoop::CoreSelectorEventLoop(std::unique_ptr<Poller> poller) : poller_(std::move(poller)) {
  if (!poller_) throw ValueError("CoreSelectorEventLoop needs a poller");
  poller_name_ = poller_->name();
  // call_soon_threadsafe()'s wake-ups arrive on an fd the poller watches;
  // step 3 takes the posts itself (queue_io_callbacks).
  poller_->add(waker_.fd(), Events::readable);
}

CoreSelectorEventLoop::~CoreSelectorEventLoop() { close_at_destruction(poller_name_); }

// --- Steps 2 and 3 of an iteration ------------------------------------------------

void CoreSelectorEventLoop::poll_for_io(std::optional<std::chrono::nanoseconds> timeout) {
  if (waker_to_drain_) {
    // The last wake-up's posts have run. Quiet the waker before waiting on
    // it again, then take what was posted in the meantime: those posts'
    // wake-up may be the one just drained.
    waker_to_drain_ = false;
    waker_.drain();
    if (take_threadsafe_callbacks()) timeout = std::chrono::nanoseconds::zero();
  }
  std::span<const FiredEvent> fired = poller_->wait(timeout);  // step 2
  queue_io_callbacks(fired);                                   // step 3
}

void CoreSelectorEventLoop::queue_io_callbacks(std::span<const FiredEvent> fired) {
  for (const FiredEvent& event : fired) {
    if (event.fd == waker_.fd()) {
      // Other threads' posts join the ready queue now, to run in this
      // iteration's step 5 (LOOP-THREADSAFE-WAKEUP), not one iteration
      // (and one more poll) later as a callback of their own would. The
      // waker is drained at the next poll_for_io(): the posts need not
      // wait for that read() (draining first made bench's wake_up p50
      // 3.3 -> 5.8 us; BaseEventLoop::call_soon_threadsafe()).
      take_threadsafe_callbacks();
      waker_to_drain_ = true;
      continue;
    }
    if (event.events == Events::invalid) {
      forget_closed_fd(event.fd);
      continue;
    }
    auto it = fds_.find(event.fd);
    if (it == fds_.end()) continue;
    // The same Handle each time: a callback removed meanwhile was
    // cancelled, so a queued one does not run (LOOP-IO-ADD-REPLACES).
    if (has(event.events, Events::readable) && it->second.reader) schedule(it->second.reader);
    if (has(event.events, Events::writable) && it->second.writer) schedule(it->second.writer);
  }
}

void CoreSelectorEventLoop::wake_up() noexcept { waker_.wake(); }

void CoreSelectorEventLoop::close_io() noexcept {
  close_signals();  // SIG_DFL again for every signal this loop handled
  auto callbacks = std::move(fds_);
  fds_.clear();
  poller_.reset();  // closes the epoll/kqueue fd (LOOP-CLOSE-RELEASES)
  waker_.close();
}

// --- I/O callbacks --------------------------------------------------------------------

void CoreSelectorEventLoop::watch(int fd, Events direction, std::shared_ptr<HandleState> handle) {
  auto it = fds_.find(fd);
  Events before = it == fds_.end() ? Events::none : it->second.events();
  Events after = before | direction;
  // The poller first: if it refuses, nothing has changed.
  if (before == Events::none) {
    poller_->add(fd, after);
  } else if (after != before) {
    poller_->modify(fd, after);
  }
  std::shared_ptr<HandleState> replaced = std::exchange(fds_[fd].of(direction), std::move(handle));
  if (replaced) replaced->cancel();  // LOOP-IO-ADD-REPLACES
}

bool CoreSelectorEventLoop::unwatch(int fd, Events direction) {
  auto it = fds_.find(fd);
  if (it == fds_.end() || !it->second.of(direction)) return false;
  std::shared_ptr<HandleState> removed = std::exchange(it->second.of(direction), nullptr);
  Events remaining = it->second.events();
  if (remaining == Events::none) {
    fds_.erase(it);
    poller_->remove(fd);  // never fails, even if fd was closed meanwhile
  } else {
    try {
      poller_->modify(fd, remaining);
    } catch (const std::system_error&) {
      // fd was closed behind the loop's back (epoll: EBADF), so the other
      // direction's callback can never fire either.
      forget_closed_fd(fd);
    }
  }
  removed->cancel();
  return true;
}

void CoreSelectorEventLoop::forget_closed_fd(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  FdCallbacks forgotten = std::move(it->second);
  fds_.erase(it);
  poller_->remove(fd);
  if (forgotten.reader) forgotten.reader->cancel();
  if (forgotten.writer) forgotten.writer->cancel();
  report_closed_fd(fd);
}

}  // namespace pep3156::reference
