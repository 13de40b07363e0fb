// add_reader()/add_writer() on uv_poll_t, add_signal_handler() on
// uv_signal_t. Each watcher only schedules its Handle; the Handle runs from
// the ready queue, again every time the watcher fires (level-triggered,
// LOOP-IO-READER-WHENEVER-READY).
#include <fcntl.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "pep3156/exception_context.hpp"
#include "uv_event_loop.hpp"
#include "uv_handle.hpp"

namespace loopcert_libuv {

// --- One fd: a uv_poll_t for both directions ----------------------------------------

class FdWatcher final : public UvHandleOwner {
 public:
  /// std::system_error for an fd libuv cannot watch (EBADF, EPERM for a
  /// regular file, EEXIST if a libuv transport of this loop owns it).
  FdWatcher(UvEventLoop& loop, int fd) : loop_(loop) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) throw std::system_error(errno, std::generic_category(), "add_reader()/add_writer()");
    int status = uv_poll_init(loop.uv(), &poll_, fd);
    // uv_poll_init() makes the fd non-blocking (src/unix/poll.c): the fd is
    // the caller's, and the loop never changes its flags.
    if (fcntl(fd, F_GETFL) != flags) fcntl(fd, F_SETFL, flags);
    if (status < 0) throw_uv_error(status, "add_reader()/add_writer(): uv_poll_init()");
    poll_.data = static_cast<UvHandleOwner*>(this);
  }

  /// Installs `handle` for one direction (null removes); the replaced one
  /// never runs, even if already queued (LOOP-IO-ADD-REPLACES). False if
  /// nothing was there to replace.
  bool set(bool readable, std::shared_ptr<HandleState> handle) {
    std::shared_ptr<HandleState> replaced = std::exchange(readable ? reader_ : writer_, std::move(handle));
    if (replaced) replaced->cancel();
    return replaced != nullptr;
  }
  bool has(bool readable) const noexcept { return (readable ? reader_ : writer_) != nullptr; }
  bool empty() const noexcept { return !reader_ && !writer_; }

  /// Watches the directions that have a callback.
  void watch() {
    int events = (reader_ ? UV_READABLE : 0) | (writer_ ? UV_WRITABLE : 0);
    if (int status = uv_poll_start(&poll_, events, &FdWatcher::ready); status < 0) {
      throw_uv_error(status, "uv_poll_start()");
    }
    loop_.fds_to_check_.push_back(poll_.io_watcher.fd);
  }

  void close() noexcept {
    if (reader_) reader_->cancel();
    if (writer_) writer_->cancel();
    close_handle(reinterpret_cast<uv_handle_t*>(&poll_));  // uv_poll_stop() and forget the fd
  }

 private:
  static void ready(uv_poll_t* poll, int status, int events) {
    auto& self = *static_cast<FdWatcher*>(static_cast<UvHandleOwner*>(poll->data));
    if (status < 0) {
      // libuv stops the watcher and reports UV_EBADF on EPOLLERR
      // (uv__poll_io() in src/unix/poll.c). A selector reports a socket
      // error as readable and writable, so that whoever waits reads the
      // error; so do we, and watch again.
      self.schedule(self.reader_);
      self.schedule(self.writer_);
      try {
        self.watch();
      } catch (const std::exception&) {
        // Nothing may leave a libuv callback: the fd stays unwatched until
        // its callbacks are added or removed again.
      }
      return;
    }
    if (events & UV_READABLE) self.schedule(self.reader_);
    if (events & UV_WRITABLE) self.schedule(self.writer_);
  }

  void schedule(const std::shared_ptr<HandleState>& handle) {
    if (handle) loop_.schedule_from_uv(handle);
  }

  UvEventLoop& loop_;
  uv_poll_t poll_{};
  std::shared_ptr<HandleState> reader_;
  std::shared_ptr<HandleState> writer_;
};

void UvEventLoop::add_reader(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_reader()");
  watch(fd, true, std::move(callback));
}

bool UvEventLoop::remove_reader(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(fd, true);  // LOOP-IO-REMOVE-READER
}

void UvEventLoop::add_writer(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_writer()");
  watch(fd, false, std::move(callback));
}

bool UvEventLoop::remove_writer(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(fd, false);  // LOOP-IO-REMOVE-WRITER
}

void UvEventLoop::watch(int fd, bool readable, Callback callback) {
  auto it = fds_.find(fd);
  FdWatcher* watcher =
      it != fds_.end() ? it->second : fds_.emplace(fd, new FdWatcher(*this, fd)).first->second;
  watcher->set(readable, std::make_shared<HandleState>(std::move(callback)));
  watcher->watch();
}

bool UvEventLoop::forget_closed_fds() {
  bool forgot = false;
  for (int fd : fds_to_check_) {
    auto it = fds_.find(fd);
    if (it == fds_.end() || fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    it->second->close();
    fds_.erase(it);
    forgot = true;
    report_closed_fd(fd);  // whoever waited on fd would wait forever
  }
  fds_to_check_.clear();
  return forgot;
}

bool UvEventLoop::unwatch(int fd, bool readable) {
  auto it = fds_.find(fd);
  if (it == fds_.end() || !it->second->has(readable)) return false;
  FdWatcher* watcher = it->second;
  watcher->set(readable, nullptr);
  if (watcher->empty()) {
    fds_.erase(it);
    watcher->close();
  } else {
    watcher->watch();
  }
  return true;
}

// --- One signal: a uv_signal_t ------------------------------------------------------------

class SignalWatcher final : public UvHandleOwner {
 public:
  SignalWatcher(UvEventLoop& loop, int sig) : loop_(loop) {
    uv_signal_init(loop.uv(), &signal_);
    signal_.data = static_cast<UvHandleOwner*>(this);
    if (int status = uv_signal_start(&signal_, &SignalWatcher::delivered, sig); status < 0) {
      close_handle(reinterpret_cast<uv_handle_t*>(&signal_));
      throw_uv_error(status, "add_signal_handler(): uv_signal_start()");
    }
  }

  void set(std::shared_ptr<HandleState> handler) {
    if (handler_) handler_->cancel();  // LOOP-SIGNAL-REPLACE
    handler_ = std::move(handler);
  }

  void close() noexcept {
    handler_->cancel();
    close_handle(reinterpret_cast<uv_handle_t*>(&signal_));  // SIG_DFL again when no loop watches it
  }

 private:
  static void delivered(uv_signal_t* signal, int) {
    auto& self = *static_cast<SignalWatcher*>(static_cast<UvHandleOwner*>(signal->data));
    self.loop_.schedule_from_uv(self.handler_);  // LOOP-SIGNAL-ADD: a callback of the loop
  }

  UvEventLoop& loop_;
  uv_signal_t signal_{};
  std::shared_ptr<HandleState> handler_;
};

void UvEventLoop::add_signal_handler(int sig, Callback callback) {
  check_signal(sig);
  check_open("add_signal_handler()");
  check_main_thread("add_signal_handler()");
  auto it = signals_.find(sig);
  SignalWatcher* watcher = nullptr;
  if (it != signals_.end()) {
    watcher = it->second;
  } else {
    watcher = new SignalWatcher(*this, sig);  // freed by its close callback
    signals_.emplace(sig, watcher);
  }
  watcher->set(std::make_shared<HandleState>(std::move(callback)));
}

bool UvEventLoop::remove_signal_handler(int sig) {
  check_signal(sig);
  if (is_closed()) return false;
  check_main_thread("remove_signal_handler()");
  auto it = signals_.find(sig);
  if (it == signals_.end()) return false;
  it->second->close();
  signals_.erase(it);
  return true;
}

}  // namespace loopcert_libuv
