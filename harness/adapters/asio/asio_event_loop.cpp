// AsioEventLoop: steps 2 and 3 of an iteration on an io_context, timers,
// the cross-thread wake-up, readers and writers, signals.
#include "asio_event_loop.hpp"

#include <fcntl.h>

#include <asio/post.hpp>
#include <cerrno>
#include <string>
#include <system_error>

#include "asio_timer.hpp"
#include "capabilities.hpp"
#include "reference/net/sigpipe_guard.hpp"

namespace loopcert_asio {

using pep3156::reference::BaseEventLoop;

// One registration with Asio's reactor per fd, shared by its reader and
// writer: Asio's epoll reactor adds each descriptor to the epoll set once
// (detail/impl/epoll_reactor.ipp, register_descriptor()), so a second
// stream_descriptor on the same fd would fail with EEXIST.
struct AsioEventLoop::FdWatch {
  struct Side {
    std::shared_ptr<HandleState> handle;  // the callback; null: not watched
    bool waiting = false;                 // an async_wait is pending
  };
  explicit FdWatch(int fd) : fd(fd) {}
  Side& of(Direction direction) { return direction == Direction::read ? reader : writer; }

  int fd;
  std::optional<asio::posix::stream_descriptor> descriptor;  // never closes fd: released
  // The caller's file status flags, restored after the registration's
  // first async_wait() (see arm()).
  int caller_flags = 0;
  bool flags_restored = false;
  // Bumped by each release: a wait that completes for an older
  // registration (aborted by the release) is ignored.
  unsigned generation = 0;
  Side reader, writer;
};

AsioEventLoop::AsioEventLoop()
    // Concurrency hint 1: one thread runs the context (other threads only
    // post), so Asio may skip some locking.
    : context_(std::make_unique<asio::io_context>(1)), work_(context_->get_executor()) {}

AsioEventLoop::~AsioEventLoop() {
  release_tasks();  // first: a Task's frame may still talk to the loop
  if (!is_closed()) close();
}

// --- Steps 2 and 3 of an iteration ------------------------------------------------

void AsioEventLoop::poll_for_io(std::optional<std::chrono::nanoseconds> timeout) {
  // Step 2: wait until one completion handler has run, or the timeout
  // passes. The work guard keeps run_one() from returning for lack of
  // work. Step 3: run the handlers that are ready as well, without
  // waiting. Each handler only moves a Handle to the ready queue.
  // A pipe transport's async_write() is writev() from in here: while one
  // is in flight, SIGPIPE is held back, so that a write to a pipe whose
  // reader is gone fails with EPIPE rather than killing the process (only
  // then: the guard's system calls would slow every iteration).
  std::optional<pep3156::reference::net::SigpipeGuard> no_sigpipe;
  if (pipe_writes_in_flight_ > 0) no_sigpipe.emplace();
  if (!timeout) {
    context_->run_one();
  } else if (timeout->count() > 0) {
    context_->run_one_for(*timeout);
  }
  context_->poll();
}

void AsioEventLoop::wake_up() noexcept {
  // LOOP-THREADSAFE-WAKEUP: a posted handler makes a blocked run_one()
  // return; it takes every post made since the last take.
  try {
    asio::post(*context_, [this] { take_threadsafe_callbacks(); });
  } catch (...) {
    // Out of memory: the posts stay queued until the next take.
  }
}

void AsioEventLoop::close_io() noexcept {
  // Every Asio object goes while its io_context exists; then the context,
  // which closes its epoll fd, eventfd and timerfd and destroys the
  // handlers still pending, with what they hold (LOOP-CLOSE-RELEASES).
  for (auto& resource : resources_) {
    if (auto alive = resource.lock()) alive->release_io();
  }
  resources_.clear();
  for (auto& [fd, watch] : watches_) release(*watch);
  watches_.clear();
  signal_handlers_.clear();
  signals_.reset();  // SIG_DFL again, and Asio's signal pipe closed with the context
  for (AsioTimer* timer : armed_timers_) timer->disarm();
  armed_timers_.clear();
  work_.reset();
  context_.reset();
}

void AsioEventLoop::track(std::weak_ptr<LoopResource> resource) {
  // Forget the ones gone whenever the list doubles: amortised O(1).
  if (resources_.size() == resources_.capacity()) {
    std::erase_if(resources_, [](const auto& entry) { return entry.expired(); });
  }
  resources_.push_back(std::move(resource));
}

// --- Timers -----------------------------------------------------------------------

pep3156::TimerHandle AsioEventLoop::call_at(double when, Callback callback) {
  check_call_at(when);
  auto timer = std::make_shared<AsioTimer>(when, std::move(callback), *this);
  AsioTimer::arm(timer);
  return pep3156::TimerHandle(std::move(timer));
}

// --- Readers and writers -------------------------------------------------------------

void AsioEventLoop::add_reader(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_reader()");
  watch(fd, Direction::read, std::move(callback));
}

bool AsioEventLoop::remove_reader(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(fd, Direction::read);  // LOOP-IO-REMOVE-READER
}

void AsioEventLoop::add_writer(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_writer()");
  watch(fd, Direction::write, std::move(callback));
}

bool AsioEventLoop::remove_writer(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(fd, Direction::write);  // LOOP-IO-REMOVE-WRITER
}

void AsioEventLoop::watch(int fd, Direction direction, Callback callback) {
  std::shared_ptr<FdWatch>& entry = watches_[fd];
  if (!entry) entry = std::make_shared<FdWatch>(fd);
  std::shared_ptr<FdWatch> watch = entry;
  // Registered anew on every add: if fd was closed and its number reused
  // since the last add, the old registration watches a file that is gone
  // (epoll forgets a closed file silently), and only a new one sees the
  // new file. assign() registers with the reactor and leaves the fd's
  // flags alone.
  release(*watch);
  watch->caller_flags = ::fcntl(fd, F_GETFL);
  watch->flags_restored = false;
  watch->descriptor.emplace(*context_);
  asio::error_code error;
  if (watch->caller_flags < 0) {
    error.assign(errno, asio::error::get_system_category());
  } else {
    watch->descriptor->assign(fd, error);
  }
  if (error) {
    // EBADF, or the reactor's errno: fd cannot be watched in either
    // direction any more.
    watch->descriptor.reset();
    if (watch->reader.handle) watch->reader.handle->cancel();
    if (watch->writer.handle) watch->writer.handle->cancel();
    watches_.erase(fd);
    throw std::system_error(error.value(), std::generic_category(), "add_reader()/add_writer()");
  }
  auto handle = std::make_shared<HandleState>(std::move(callback));
  std::shared_ptr<HandleState> replaced = std::exchange(watch->of(direction).handle, std::move(handle));
  if (replaced) replaced->cancel();  // LOOP-IO-ADD-REPLACES
  arm(watch, Direction::read);
  arm(watch, Direction::write);
}

bool AsioEventLoop::unwatch(int fd, Direction direction) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || !it->second->of(direction).handle) return false;
  std::shared_ptr<FdWatch> watch = it->second;
  std::shared_ptr<HandleState> removed = std::exchange(watch->of(direction).handle, nullptr);
  if (!watch->reader.handle && !watch->writer.handle) {
    release(*watch);  // never fails, even if fd was closed meanwhile
    watches_.erase(it);
  }
  // A pending wait in this direction stays; when it completes it finds no
  // callback and ends.
  removed->cancel();
  return true;
}

void AsioEventLoop::arm(const std::shared_ptr<FdWatch>& watch, Direction direction) {
  FdWatch::Side& side = watch->of(direction);
  if (side.waiting || !side.handle) return;
  side.waiting = true;
  auto wait = direction == Direction::read ? asio::posix::stream_descriptor::wait_read
                                           : asio::posix::stream_descriptor::wait_write;
  watch->descriptor->async_wait(
      wait, [this, watch, direction, generation = watch->generation](const asio::error_code& error) {
        if (watch->generation != generation) return;  // a released registration's wait
        watch->of(direction).waiting = false;
        if (error == asio::error::operation_aborted) return;
        // Any other error (operation_not_supported for a regular file,
        // which epoll refuses) counts as ready, as poll() reports such an
        // fd: the callback runs and finds out.
        on_ready(watch, direction);
      });
  // Asio's first operation on a descriptor switches it to non-blocking
  // (detail/impl/reactive_descriptor_service.ipp, start_op():
  // set_internal_non_blocking(), an ioctl(FIONBIO)), async_wait() too,
  // which needs no such thing. The fd belongs to the caller, its flags too
  // (LOOP-IO-FD-ARGS): put them back. Asio remembers it did the switch and
  // does not repeat it for this registration.
  if (!watch->flags_restored) {
    watch->flags_restored = true;
    ::fcntl(watch->fd, F_SETFL, watch->caller_flags);
  }
}

void AsioEventLoop::on_ready(const std::shared_ptr<FdWatch>& watch, Direction direction) {
  FdWatch::Side& side = watch->of(direction);
  if (!side.handle) return;
  // The same Handle each time: a callback removed meanwhile was cancelled,
  // so a queued one does not run (LOOP-IO-ADD-REPLACES).
  schedule(side.handle);
  // The next wait starts after the callback, in the same batch, so that it
  // sees what the callback left (LOOP-IO-READER-WHENEVER-READY is
  // level-triggered). Armed before the callback, a wait would report a
  // readiness the callback is about to consume. Asio's epoll reactor is
  // edge-triggered (EPOLLET, detail/impl/epoll_reactor.ipp,
  // register_descriptor()) but re-arms the descriptor with EPOLL_CTL_MOD
  // whenever an operation is queued on it (start_op()), and the kernel then
  // reports a readiness that is still there: data left unread wakes the
  // next wait. io_uring's poll is checked when submitted.
  schedule(std::make_shared<HandleState>([this, watch, direction, generation = watch->generation] {
    if (watch->generation == generation) arm(watch, direction);
  }));
}

void AsioEventLoop::release(FdWatch& watch) noexcept {
  if (!watch.descriptor) return;
  // release(), not close(): the fd belongs to the caller. Pending waits
  // complete with operation_aborted, for a generation that is gone.
  watch.descriptor->release();
  watch.descriptor.reset();
  ++watch.generation;
  watch.reader.waiting = false;
  watch.writer.waiting = false;
}

// --- Signals ---------------------------------------------------------------------------

void AsioEventLoop::add_signal_handler(int sig, Callback callback) {
  check_signal(sig);
  check_open("add_signal_handler()");
  check_main_thread("add_signal_handler()");
  // Asio installs its own process-wide handler (and opens a process-wide
  // pipe it writes the signal number to: detail/impl/signal_set_service.ipp,
  // open_descriptors()); both are released when the last signal_set
  // service goes, that is when close() destroys the io_context.
  if (!signals_) signals_.emplace(*context_);
  asio::error_code error;
  signals_->add(sig, error);
  if (error) throw std::system_error(error.value(), std::generic_category(), "add_signal_handler()");
  auto handle = std::make_shared<HandleState>(std::move(callback));
  std::shared_ptr<HandleState> replaced = std::exchange(signal_handlers_[sig], std::move(handle));
  if (replaced) replaced->cancel();
  wait_for_signal();
}

bool AsioEventLoop::remove_signal_handler(int sig) {
  check_signal(sig);
  if (is_closed()) return false;
  check_main_thread("remove_signal_handler()");
  auto it = signal_handlers_.find(sig);
  if (it == signal_handlers_.end()) return false;
  it->second->cancel();
  signal_handlers_.erase(it);
  asio::error_code ignored;
  signals_->remove(sig, ignored);  // SIG_DFL again (LOOP-SIGNAL-REMOVE)
  return true;
}

void AsioEventLoop::wait_for_signal() {
  if (waiting_for_signal_) return;
  waiting_for_signal_ = true;
  signals_->async_wait([this](const asio::error_code& error, int sig) {
    waiting_for_signal_ = false;
    if (error == asio::error::operation_aborted) return;
    auto it = signal_handlers_.find(sig);
    if (it != signal_handlers_.end()) schedule(it->second);  // LOOP-SIGNAL-ADD
    if (!signal_handlers_.empty()) wait_for_signal();
  });
}

}  // namespace loopcert_asio
