// The select() backend: the oldest readiness API, available everywhere, and
// the simplest to read. The loop hands the kernel one bitmap of fd numbers
// per question ("which can I read?", "which can I write?"); the kernel
// clears the bits of the fds that are not ready.
//
// Quirks worked around here:
//   - FD_SETSIZE. An fd_set is a fixed array of FD_SETSIZE bits (1024 with
//     glibc); FD_SET() on a larger fd writes past its end (glibc's
//     _FORTIFY_SOURCE aborts instead). add() refuses such an fd with
//     ValueError before touching a set. Source: select(2), "BUGS" and
//     "NOTES"; POSIX lets FD_SET() be undefined for fd >= FD_SETSIZE.
//   - A closed fd in a set fails the whole call with EBADF, without saying
//     which fd, nor which others are ready. wait() then probes each
//     registered fd with fcntl(F_GETFD) and reports only the closed ones,
//     as Events::invalid; the ready ones come with the next wait(). Source:
//     select(2), "ERRORS".
//   - The sets are in/out arguments: the kernel overwrites them, so each
//     call works on copies of the registered sets.
//   - Timeout: pselect() takes a timespec (nanoseconds); select()'s timeval
//     has microseconds and, on Linux, is overwritten with the time left.
//   - EINTR is retried with the time that remains (WaitDeadline).
//   - exceptfds means out-of-band data, not errors; an error or hang-up
//     makes a socket readable and writable. Not used.
#include <fcntl.h>
#include <sys/select.h>

#include <cerrno>
#include <string>

#include "backends.hpp"
#include "pep3156/errors.hpp"
#include "wait_deadline.hpp"

namespace pep3156::reference {

namespace {

class SelectPoller final : public Poller {
 public:
  SelectPoller() {
    FD_ZERO(&read_set_);
    FD_ZERO(&write_set_);
  }

  void add(int fd, Events events) override {
    check_registration(fd, events);
    if (fd >= FD_SETSIZE) {
      throw ValueError("select() cannot watch fd " + std::to_string(fd) +
                       ": select() handles only fds below FD_SETSIZE (" + std::to_string(FD_SETSIZE) +
                       "); use the poll or epoll poller");
    }
    if (registered(fd)) throw_system_error(EEXIST, "select poller: add");
    watch(fd, events);
  }

  void modify(int fd, Events events) override {
    check_registration(fd, events);
    if (!registered(fd)) throw_system_error(ENOENT, "select poller: modify");
    watch(fd, events);
  }

  void remove(int fd) noexcept override {
    if (registered(fd)) watch(fd, Events::none);
  }

  std::span<const FiredEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    fired_.clear();
    WaitDeadline deadline(timeout);
    fd_set readable;
    fd_set writable;
    int ready;
    do {
      readable = read_set_;
      writable = write_set_;
      ready = ::pselect(nfds(), &readable, &writable, nullptr, deadline.remaining_timespec(), nullptr);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0 && errno == EBADF) return report_closed_fds();
    if (ready < 0) throw_errno("pselect");
    for (int fd = 0; fd < nfds(); ++fd) {
      Events events = (FD_ISSET(fd, &readable) ? Events::readable : Events::none) |
                      (FD_ISSET(fd, &writable) ? Events::writable : Events::none);
      if (events != Events::none) fired_.push_back({fd, events});
    }
    return fired_;
  }

  std::string_view name() const noexcept override { return "select"; }

 private:
  /// select()'s first argument: one more than the highest registered fd.
  int nfds() const noexcept { return static_cast<int>(interest_.size()); }

  bool registered(int fd) const noexcept { return fd < nfds() && interest_[fd] != Events::none; }

  /// Sets fd's bits in both sets to `events` (none: unregistered).
  void watch(int fd, Events events) noexcept {
    if (fd >= nfds()) interest_.resize(fd + 1, Events::none);
    interest_[fd] = events;
    if (has(events, Events::readable)) {
      FD_SET(fd, &read_set_);
    } else {
      FD_CLR(fd, &read_set_);
    }
    if (has(events, Events::writable)) {
      FD_SET(fd, &write_set_);
    } else {
      FD_CLR(fd, &write_set_);
    }
    while (!interest_.empty() && interest_.back() == Events::none) interest_.pop_back();
  }

  /// pselect() said EBADF: find the registered fds that are closed.
  std::span<const FiredEvent> report_closed_fds() {
    for (int fd = 0; fd < nfds(); ++fd) {
      if (registered(fd) && ::fcntl(fd, F_GETFD) < 0 && errno == EBADF)
        fired_.push_back({fd, Events::invalid});
    }
    if (fired_.empty()) throw_system_error(EBADF, "pselect");
    return fired_;
  }

  std::vector<Events> interest_;  // indexed by fd; Events::none: not registered
  fd_set read_set_;
  fd_set write_set_;
};

}  // namespace

std::unique_ptr<Poller> make_select_poller() { return std::make_unique<SelectPoller>(); }

}  // namespace pep3156::reference
