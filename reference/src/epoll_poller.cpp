// The epoll backend (Linux): the kernel keeps the set of watched fds, so a
// wait costs time in proportion to the fds that are ready, not to the fds
// that are watched. That is what keeps a loop with 10,000 idle connections
// fast.
//
// Quirks worked around here:
//   - epoll watches an open file description, not an fd number. Closing an
//     fd removes it from the set by itself, so a later EPOLL_CTL_DEL fails
//     with EBADF (or ENOENT if the number was reused): remove() expects
//     both. Source: epoll(7), Q6 and "Possible pitfalls". But a dup() (or
//     fork()) of the description keeps it reported under the closed
//     number, out of reach of EPOLL_CTL_DEL; wait() skips fds it no longer
//     watches (libev's ev_epoll.c: "the inability to handle fork or file
//     descriptors (think dup)"). Do not dup() a registered fd and close it.
//   - A closed fd's number reused by a new file, without remove(): the
//     kernel forgot the old registration, so EPOLL_CTL_MOD says ENOENT.
//     modify() then adds the new file (libev does the same).
//   - Regular files cannot be watched (EPERM): they are always ready.
//   - EPOLLERR and EPOLLHUP come unasked: reported as what fd watches.
//   - Timeout: epoll_wait() takes milliseconds, epoll_pwait2() (Linux 5.11)
//     a timespec. Without epoll_pwait2() (ENOSYS, or EPERM from an older
//     seccomp filter) the timeout is rounded UP: down would wake the loop
//     before its timer is due.
//   - EINTR: never restarted, even with SA_RESTART (signal(7)); retried
//     with the time that remains.

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>

#include "backends.hpp"
#include "pep3156/errors.hpp"
#include "wait_deadline.hpp"

namespace pep3156::reference {

namespace {

std::uint32_t to_epoll_events(Events events) noexcept {
  return (has(events, Events::readable) ? EPOLLIN : 0u) | (has(events, Events::writable) ? EPOLLOUT : 0u);
}

Events from_epoll_events(std::uint32_t fired) noexcept {
  Events events = Events::none;
  if (fired & (EPOLLIN | EPOLLERR | EPOLLHUP)) events = events | Events::readable;
  if (fired & (EPOLLOUT | EPOLLERR | EPOLLHUP)) events = events | Events::writable;
  return events;
}

class EpollPoller final : public Poller {
 public:
  EpollPoller() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), buffer_(64) {
    if (epoll_fd_ < 0) throw_errno("epoll_create1");
  }
  ~EpollPoller() override { ::close(epoll_fd_); }

  void add(int fd, Events events) override {
    check_registration(fd, events);
    if (interest_.contains(fd)) throw_system_error(EEXIST, "epoll poller: add");
    if (control(EPOLL_CTL_ADD, fd, events) != 0) throw_errno("epoll_ctl(EPOLL_CTL_ADD)");
    interest_.emplace(fd, events);
  }

  void modify(int fd, Events events) override {
    check_registration(fd, events);
    auto it = interest_.find(fd);
    if (it == interest_.end()) throw_system_error(ENOENT, "epoll poller: modify");
    if (control(EPOLL_CTL_MOD, fd, events) != 0) {
      // ENOENT: fd was closed and its number reused; watch the new file.
      if (errno != ENOENT || control(EPOLL_CTL_ADD, fd, events) != 0) throw_errno("epoll_ctl(EPOLL_CTL_MOD)");
    }
    it->second = events;
  }

  void remove(int fd) noexcept override {
    if (interest_.erase(fd) == 0) return;
    // EBADF/ENOENT: fd was closed, and the kernel dropped it already.
    control(EPOLL_CTL_DEL, fd, Events::none);
  }

  std::span<const FiredEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    fired_.clear();
    WaitDeadline deadline(timeout);
    int count;
    while ((count = wait_once(deadline)) < 0 && errno == EINTR) {
    }
    if (count < 0) throw_errno("epoll_wait");
    for (int i = 0; i < count; ++i) {
      int fd = buffer_[i].data.fd;
      auto it = interest_.find(fd);
      if (it == interest_.end()) continue;  // a closed fd that a dup keeps alive
      fired_.push_back({fd, from_epoll_events(buffer_[i].events) & it->second});
    }
    // A full buffer: the next wait returns the rest; give it more room.
    if (count == static_cast<int>(buffer_.size())) buffer_.resize(buffer_.size() * 2);
    return fired_;
  }

  std::string_view name() const noexcept override { return "epoll"; }

 private:
  int control(int operation, int fd, Events events) noexcept {
    epoll_event event{};
    event.events = to_epoll_events(events);
    event.data.fd = fd;
    return ::epoll_ctl(epoll_fd_, operation, fd, &event);
  }

  int wait_once(WaitDeadline& deadline) {
    int capacity = static_cast<int>(buffer_.size());
    // Just looking (every iteration that has callbacks ready) needs no
    // timespec: epoll_wait(0) is exact, and the kernel copies nothing in.
    if (have_pwait2_ && !deadline.just_look()) {
      int count = ::epoll_pwait2(epoll_fd_, buffer_.data(), capacity, deadline.remaining_timespec(), nullptr);
      if (count >= 0 || (errno != ENOSYS && errno != EPERM)) return count;
      have_pwait2_ = false;
    }
    return ::epoll_wait(epoll_fd_, buffer_.data(), capacity, deadline.remaining_milliseconds());
  }

  int epoll_fd_;
  std::vector<epoll_event> buffer_;           // what the kernel fills
  std::unordered_map<int, Events> interest_;  // what each fd is registered for
  // ThreadSanitizer (GCC 12's) does not intercept epoll_pwait2(), and it
  // defers a signal's handler to the thread's next intercepted call: the
  // handler that wakes the loop would wait for the retried wait to end. A
  // TSan build uses epoll_wait(), which TSan intercepts.
#if defined(__SANITIZE_THREAD__)
  bool have_pwait2_ = false;
#else
  bool have_pwait2_ = true;
#endif
};

}  // namespace

std::unique_ptr<Poller> make_epoll_poller() { return std::make_unique<EpollPoller>(); }

}  // namespace pep3156::reference
