// CoreProactorEventLoop: steps 2 and 3 of an iteration on a Proactor, the
// polls behind add_reader()/add_writer(), and signal handlers.
#include "reference/core_proactor_event_loop.hpp"

#include <cerrno>

namespace pep3156::reference {

CoreProactorEventLoop::CoreProactorEventLoop(std::unique_ptr<Proactor> proactor)
    : proactor_(std::move(proactor)) {
  if (!proactor_) throw ValueError("CoreProactorEventLoop needs a proactor");
  proactor_name_ = proactor_->name();
}

CoreProactorEventLoop::~CoreProactorEventLoop() { close_at_destruction(proactor_name_); }

// --- Steps 2 and 3 of an iteration ------------------------------------------------

void CoreProactorEventLoop::poll_for_io(std::optional<std::chrono::nanoseconds> timeout) {
  // Step 2: submit what was queued since the last wait, then wait.
  // Step 3: each completion schedules the callback it stands for (and
  // submits its operation again where one must stay in flight).
  for (Completion& completion : proactor_->wait(timeout)) completion.on_completion(completion.result);
  // Other threads' posts join the ready queue now, to run in this
  // iteration's step 5 (LOOP-THREADSAFE-WAKEUP), whether their wake_up()
  // ended this wait or is still on its way (it will end the next one early).
  take_threadsafe_callbacks();
}

void CoreProactorEventLoop::wake_up() noexcept { proactor_->wake_up(); }

void CoreProactorEventLoop::close_io() noexcept {
  proactor_.reset();  // cancels every poll, and waits for the kernel to let go (LOOP-CLOSE-RELEASES)
  close_signals();    // SIG_DFL again for every signal this loop handled
  fds_.clear();
}

// --- I/O callbacks --------------------------------------------------------------------

void CoreProactorEventLoop::watch(int fd, Events direction, std::shared_ptr<HandleState> handle) {
  Watch& watch = fds_[fd].of(direction);
  // A new poll even when replacing: fd may name another file by now.
  if (watch.handle) {
    watch.handle->cancel();  // LOOP-IO-ADD-REPLACES
    proactor_->cancel(watch.poll);
  }
  watch.handle = std::move(handle);
  watch.poll = poll_fd(fd, direction);
}

bool CoreProactorEventLoop::unwatch(int fd, Events direction) {
  auto it = fds_.find(fd);
  if (it == fds_.end() || !it->second.of(direction).handle) return false;
  Watch removed = std::exchange(it->second.of(direction), Watch{});
  if (it->second.empty()) fds_.erase(it);
  removed.handle->cancel();
  proactor_->cancel(removed.poll);
  return true;
}

OperationId CoreProactorEventLoop::poll_fd(int fd, Events direction) {
  std::shared_ptr<HandleState> handle = fds_[fd].of(direction).handle;
  return proactor_->poll(fd, direction, [this, fd, direction, handle](int result) {
    on_fd_polled(fd, direction, handle, result);
  });
}

void CoreProactorEventLoop::on_fd_polled(int fd, Events direction, const std::shared_ptr<HandleState>& handle,
                                         int result) {
  // A poll whose callback was removed or replaced meanwhile (the poll it
  // was cancelled with, or one that finished first) has nothing to do.
  auto it = fds_.find(fd);
  if (it == fds_.end() || it->second.of(direction).handle != handle) return;
  if (result == -EBADF) {
    // fd was closed before the poll reached the kernel: nothing on it can
    // ever fire, in either direction.
    for (Watch* dropped : {&it->second.reader, &it->second.writer}) {
      if (dropped->handle) dropped->handle->cancel();
      if (dropped->poll != 0) proactor_->cancel(dropped->poll);
    }
    fds_.erase(it);
    report_closed_fd(fd);
    return;
  }
  schedule(handle);                                        // LOOP-IO-READER-WHENEVER-READY: level-triggered,
  it->second.of(direction).poll = poll_fd(fd, direction);  // so polled again at once
}

}  // namespace pep3156::reference
