// The kqueue backend (FreeBSD, OpenBSD, NetBSD, macOS): like epoll, the
// kernel keeps the watched set; unlike epoll, each direction is a separate
// filter (EVFILT_READ, EVFILT_WRITE) and one kevent() call both applies
// changes and collects events.
//
// Where it has run: the loop builds it only where <sys/event.h> has kqueue()
// (PEP3156_HAVE_KQUEUE), which no host of this project's CI is. On Linux,
// `make test` builds it against a model of BSD's kqueue semantics
// (reference/tests/kqueue_model/) and runs poller_test.cpp's cases on it;
// on a BSD or macOS host, loopcert certifies it, from there or through
// --runner (harness/README.md, "Certifying a loop on another machine or OS").
//
// Quirks worked around here:
//   - Two filters per fd: add(fd, readable|writable) is two changes, and a
//     failure of the second must undo the first so that nothing stays half
//     registered.
//   - Closing an fd deletes its filters by itself, so a later EV_DELETE
//     fails with EBADF or ENOENT: remove() expects both. Source: kqueue(2),
//     "Calling close() on a file descriptor will remove any kevents that
//     reference the descriptor."
//   - So a closed fd's number reused by a new file, without remove(), has
//     no filter: modify() re-adds each direction it keeps (EV_ADD of one
//     that is there updates it) and lets a dropped one's EV_DELETE say
//     ENOENT. A closed fd not reused still fails (EV_ADD: EBADF).
//   - A read and a write event for one fd arrive as two kevents; wait()
//     merges them so each fd appears once.
//   - EV_EOF (peer closed) comes with the filter that fired, reported as
//     that direction: the callback meets the EOF in its own read or write.
//     EV_ERROR (a failed change) cannot occur: changes are not applied in waits.
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

  /// Watches fd for `after` instead of `before`; on failure, puts back
  /// what it added and throws. Every direction of `after` is added, even
  /// one `before` had: the kernel may have dropped it with a closed file
  /// whose number fd now is.
  void change(int fd, Events before, Events after) {
    const std::pair<Events, short> filters[] = {{Events::readable, EVFILT_READ},
                                                {Events::writable, EVFILT_WRITE}};
    Events added = Events::none;
    for (auto [bit, filter] : filters) {
      if (!has(after, bit)) continue;
      if (int error = apply(fd, filter, EV_ADD)) {
        undo_additions(fd, added, before);
        throw_system_error(error, "kevent(EV_ADD)");
      }
      added = added | bit;
    }
    for (auto [bit, filter] : filters) {
      if (!has(before, bit) || has(after, bit)) continue;
      // ENOENT: the filter went with the closed file that fd was.
      if (int error = apply(fd, filter, EV_DELETE); error != 0 && error != ENOENT) {
        throw_system_error(error, "kevent(EV_DELETE)");
      }
    }
  }

  /// Deletes the filters `added` put there that `before` did not have.
  void undo_additions(int fd, Events added, Events before) noexcept {
    if (has(added, Events::readable) && !has(before, Events::readable)) apply(fd, EVFILT_READ, EV_DELETE);
    if (has(added, Events::writable) && !has(before, Events::writable)) apply(fd, EVFILT_WRITE, EV_DELETE);
  }

  int kqueue_fd_;
  std::vector<struct kevent> buffer_;             // what the kernel fills
  std::unordered_map<int, Events> interest_;      // what each fd is registered for
  std::unordered_map<int, std::size_t> slot_of_;  // during wait(): fd -> its entry in fired_
};

}  // namespace

std::unique_ptr<Poller> make_kqueue_poller() { return std::make_unique<KqueuePoller>(); }

}  // namespace pep3156::reference
