// LibevCoreLoop's I/O callbacks: one ev_io per fd and direction.
//
// libev watches an fd level-triggered: an ev_io fires on every iteration
// while its fd stays ready (LOOP-IO-READER-WHENEVER-READY), and only queues
// the fd's Handle. A second add replaces the Handle, cancelled so that a
// copy already queued does not run (LOOP-IO-ADD-REPLACES). libev never
// changes an fd's flags and never closes it.
//
// An fd closed while watched (the caller's mistake, D-IO-2): libev 4.33
// aborts the process when the kernel tells it so, with assert()s Debian's
// build keeps: epoll_ctl()'s EBADF when libev (re)registers the fd
// ("libev: I/O watcher with invalid fd found in epoll_ctl", ev_epoll.c:134)
// and poll()'s POLLNVAL for any fd in the set ("libev: poll found invalid
// fd in poll set", ev_poll.c:121). select() survives it: libev stops every
// watcher of the fd and fires them with EV_ERROR (ev.c fd_ebadf(),
// fd_kill()). epoll forgets a closed fd by itself, and libev only calls
// epoll_ctl() for fds whose watchers changed. So before each ev_run() the
// loop checks the fds libev is about to hand to the kernel, and drops a
// closed one itself, as it does on EV_ERROR: on epoll and select those whose
// watchers changed since the last ev_run(), on poll every watched fd (one
// fcntl() each per iteration: the price of not aborting).
#include <fcntl.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "libev_event_loop.hpp"
#include "pep3156/exception_context.hpp"

namespace loopcert_libev {

void LibevCoreLoop::add_reader(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_reader()");
  watch(readers_, fd, EV_READ, std::move(callback));
}

bool LibevCoreLoop::remove_reader(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(readers_, fd);  // LOOP-IO-REMOVE-READER
}

void LibevCoreLoop::add_writer(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_writer()");
  watch(writers_, fd, EV_WRITE, std::move(callback));
}

bool LibevCoreLoop::remove_writer(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(writers_, fd);  // LOOP-IO-REMOVE-WRITER
}

void LibevCoreLoop::watch(IoWatches& watches, int fd, int direction, Callback callback) {
  auto handle = std::make_shared<HandleState>(std::move(callback));
  std::unique_ptr<Watch<ev_io>>& watch = watches[fd];
  if (watch) {
    std::exchange(watch->handle, std::move(handle))->cancel();  // LOOP-IO-ADD-REPLACES
    return;
  }
  watch = std::make_unique<Watch<ev_io>>();
  watch->handle = std::move(handle);
  ev_io_init(&watch->watcher, &on_io, fd, direction);
  watch->watcher.data = watch.get();
  ev_io_start(loop_, &watch->watcher);
  changed_fds_.push_back(fd);
}

bool LibevCoreLoop::unwatch(IoWatches& watches, int fd) noexcept {
  auto it = watches.find(fd);
  if (it == watches.end()) return false;
  // Stopping also drops an event libev has pending for the watcher, which
  // would otherwise reach freed memory.
  ev_io_stop(loop_, &it->second->watcher);
  it->second->handle->cancel();
  watches.erase(it);
  // The other direction's watcher, if any, makes libev re-register fd.
  if (readers_.contains(fd) || writers_.contains(fd)) changed_fds_.push_back(fd);
  return true;
}

bool LibevCoreLoop::forget_closed_fds() {
  std::vector<int> suspects = std::exchange(changed_fds_, {});
  if (ev_backend(loop_) == EVBACKEND_POLL) {
    for (IoWatches* watches : {&readers_, &writers_}) {
      for (const auto& [fd, watch] : *watches) suspects.push_back(fd);
    }
  }
  bool forgot = false;
  for (int fd : suspects) {
    bool watched = readers_.contains(fd) || writers_.contains(fd);
    if (watched && fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
      forget_closed_fd(fd);
      forgot = true;
    }
  }
  return forgot;
}

void LibevCoreLoop::on_io(struct ev_loop* loop, ev_io* watcher, int revents) noexcept {
  auto& self = *static_cast<LibevCoreLoop*>(ev_userdata(loop));
  if (revents & EV_ERROR) {
    self.forget_closed_fd(watcher->fd);  // frees `watcher`: nothing after this
    return;
  }
  self.schedule(static_cast<Watch<ev_io>*>(watcher->data)->handle);
}

void LibevCoreLoop::forget_closed_fd(int fd) {
  unwatch(readers_, fd);
  unwatch(writers_, fd);
  report_closed_fd(fd);  // whoever waited on fd would wait forever
}

}  // namespace loopcert_libev
