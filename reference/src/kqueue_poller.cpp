// The kqueue backend (FreeBSD, OpenBSD, NetBSD, macOS): like epoll, the
// kernel keeps the watched set; unlike epoll, each direction is a separate
// filter (EVFILT_READ, EVFILT_WRITE) and one kevent() call both applies
// changes and collects events.
//
// NOT BUILT OR RUN ON THE PROJECT'S LINUX HOSTS. CMake compiles this file
// only where <sys/event.h> has kqueue() (PEP3156_HAVE_KQUEUE); it has never
// been compiled or tested by this project's CI. Treat it as the reading
// companion of epoll_poller.cpp until a BSD or macOS host runs the tests.
//
// Quirks worked around here:
//   - Two filters per fd: add(fd, readable|writable) is two changes, and a
//     failure of the second must undo the first so that nothing stays half
//     registered.
//   - Closing an fd deletes its filters by itself, so a later EV_DELETE
//     fails with EBADF or ENOENT: remove() expects both. Source: kqueue(2),
//     "Calling close() on a file descriptor will remove any kevents that
//     reference the descriptor."
//   - A read and a write event for one fd arrive as two kevents; wait()
//     merges them so each fd appears once.
//   - EV_EOF (peer closed) comes with the read or write filter that fired;
//     it is reported as that direction, and the callback meets the EOF in
//     its own read or write. EV_ERROR in an event means a change failed;
//     changes are applied apart from waits here, so it does not occur.
//   - A kqueue is not inherited by a fork()ed child (kqueue(2)).
//   - Timeout: kevent() takes a timespec. EINTR is retried with the time
//     that remains (WaitDeadline).
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>

#include "backends.hpp"
#include "pep3156/errors.hpp"
#include "wait_deadline.hpp"

namespace pep3156::reference {

namespace {

class KqueuePoller final : public Poller {
 public:
  KqueuePoller() : kqueue_fd_(::kqueue()) {
    if (kqueue_fd_ < 0) throw_errno("kqueue");
    ::fcntl(kqueue_fd_, F_SETFD, FD_CLOEXEC);
  }
  ~KqueuePoller() override { ::close(kqueue_fd_); }

  void add(int fd, Events events) override {
    check_registration(fd, events);
    if (interest_.contains(fd)) throw_system_error(EEXIST, "kqueue poller: add");
    change(fd, Events::none, events);
    interest_.emplace(fd, events);
  }

  void modify(int fd, Events events) override {
    check_registration(fd, events);
    auto it = interest_.find(fd);
    if (it == interest_.end()) throw_system_error(ENOENT, "kqueue poller: modify");
    change(fd, it->second, events);
    it->second = events;
  }

  void remove(int fd) noexcept override {
    auto it = interest_.find(fd);
    if (it == interest_.end()) return;
    // EBADF/ENOENT: fd was closed, and its filters went with it.
    if (has(it->second, Events::readable)) apply(fd, EVFILT_READ, EV_DELETE);
    if (has(it->second, Events::writable)) apply(fd, EVFILT_WRITE, EV_DELETE);
    interest_.erase(it);
  }

  std::span<const FiredEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    fired_.clear();
    buffer_.resize(2 * interest_.size() + 1);  // at most two filters per fd
    WaitDeadline deadline(timeout);
    int count;
    while ((count = ::kevent(kqueue_fd_, nullptr, 0, buffer_.data(), static_cast<int>(buffer_.size()),
                             deadline.remaining_timespec())) < 0 &&
           errno == EINTR) {
    }
    if (count < 0) throw_errno("kevent");
    slot_of_.clear();
    for (int i = 0; i < count; ++i) {
      int fd = static_cast<int>(buffer_[i].ident);
      Events direction = buffer_[i].filter == EVFILT_READ ? Events::readable : Events::writable;
      auto [slot, first] = slot_of_.emplace(fd, fired_.size());
      if (first) {
        fired_.push_back({fd, direction});
      } else {
        fired_[slot->second].events = fired_[slot->second].events | direction;
      }
    }
    return fired_;
  }

  std::string_view name() const noexcept override { return "kqueue"; }

 private:
  /// Applies one change; returns errno, or 0.
  int apply(int fd, short filter, unsigned short flags) noexcept {
    struct kevent change;
    EV_SET(&change, fd, filter, flags, 0, 0, nullptr);
    return ::kevent(kqueue_fd_, &change, 1, nullptr, 0, nullptr) == 0 ? 0 : errno;
  }

  /// Moves fd's filters from `before` to `after`; on failure, restores
  /// `before` and throws.
  void change(int fd, Events before, Events after) {
    const std::pair<Events, short> filters[] = {{Events::readable, EVFILT_READ},
                                                {Events::writable, EVFILT_WRITE}};
    for (std::size_t i = 0; i < 2; ++i) {
      auto [bit, filter] = filters[i];
      if (has(before, bit) == has(after, bit)) continue;
      int error = apply(fd, filter, has(after, bit) ? EV_ADD : EV_DELETE);
      if (error == 0) continue;
      if (i == 1 && has(before, Events::readable) != has(after, Events::readable)) {
        apply(fd, EVFILT_READ, has(before, Events::readable) ? EV_ADD : EV_DELETE);
      }
      throw_system_error(error, "kevent(EV_ADD/EV_DELETE)");
    }
  }

  int kqueue_fd_;
  std::vector<struct kevent> buffer_;             // what the kernel fills
  std::unordered_map<int, Events> interest_;      // what each fd is registered for
  std::unordered_map<int, std::size_t> slot_of_;  // during wait(): fd -> its entry in fired_
};

}  // namespace

std::unique_ptr<Poller> make_kqueue_poller() { return std::make_unique<KqueuePoller>(); }

}  // namespace pep3156::reference
