// The poll() backend: one pollfd {fd, events, revents} per registered fd,
// in one array the kernel scans on every call. No FD_SETSIZE limit; the
// cost of a call still grows with the number of registered fds.
//
// Quirks worked around here:
//   - POLLNVAL. A closed fd is not an error of the call: its revents says
//     POLLNVAL, on every call, until the fd leaves the array. wait()
//     reports it as Events::invalid so the loop can drop it. Source:
//     poll(2), "POLLNVAL: Invalid request: fd not open".
//   - POLLERR and POLLHUP are reported even though nobody asks for them
//     ("ignored in events"). They become whichever of readable/writable
//     the fd is registered for, so the callback meets the error or the EOF
//     in its own read or write. asyncio's PollSelector does the same.
//   - Timeout: poll() takes milliseconds. ppoll() takes a timespec
//     (Linux, FreeBSD, OpenBSD); macOS has no ppoll(), so there the
//     timeout is rounded UP to milliseconds, never down.
//   - EINTR is retried with the time that remains (WaitDeadline).
//   - A removed fd leaves a hole: the last pollfd moves into it, so the
//     array stays dense and removal is O(1).
#include <poll.h>

#include <cerrno>
#include <unordered_map>

#include "backends.hpp"
#include "pep3156/errors.hpp"
#include "wait_deadline.hpp"

namespace pep3156::reference {

namespace {

short to_poll_events(Events events) noexcept {
  return static_cast<short>((has(events, Events::readable) ? POLLIN : 0) |
                            (has(events, Events::writable) ? POLLOUT : 0));
}

Events from_revents(const pollfd& entry) noexcept {
  if (entry.revents & POLLNVAL) return Events::invalid;
  Events events = Events::none;
  if (entry.revents & (POLLIN | POLLERR | POLLHUP)) events = events | Events::readable;
  if (entry.revents & (POLLOUT | POLLERR | POLLHUP)) events = events | Events::writable;
  Events registered = (entry.events & POLLIN ? Events::readable : Events::none) |
                      (entry.events & POLLOUT ? Events::writable : Events::none);
  return events & registered;
}

class PollPoller final : public Poller {
 public:
  void add(int fd, Events events) override {
    check_registration(fd, events);
    if (slot_of_.contains(fd)) throw_system_error(EEXIST, "poll poller: add");
    slot_of_.emplace(fd, pollfds_.size());
    pollfds_.push_back(pollfd{fd, to_poll_events(events), 0});
  }

  void modify(int fd, Events events) override {
    check_registration(fd, events);
    auto it = slot_of_.find(fd);
    if (it == slot_of_.end()) throw_system_error(ENOENT, "poll poller: modify");
    pollfds_[it->second].events = to_poll_events(events);
  }

  void remove(int fd) noexcept override {
    auto it = slot_of_.find(fd);
    if (it == slot_of_.end()) return;
    std::size_t hole = it->second;
    slot_of_.erase(it);
    if (hole != pollfds_.size() - 1) {
      pollfds_[hole] = pollfds_.back();
      slot_of_[pollfds_[hole].fd] = hole;
    }
    pollfds_.pop_back();
  }

  std::span<const FiredEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    fired_.clear();
    WaitDeadline deadline(timeout);
    int ready;
    while ((ready = poll_once(deadline)) < 0 && errno == EINTR) {
    }
    if (ready < 0) throw_errno("poll");
    for (const pollfd& entry : pollfds_) {
      if (entry.revents != 0) fired_.push_back({entry.fd, from_revents(entry)});
    }
    return fired_;
  }

  std::string_view name() const noexcept override { return "poll"; }

 private:
  int poll_once(WaitDeadline& deadline) {
#ifdef __APPLE__
    return ::poll(pollfds_.data(), pollfds_.size(), deadline.remaining_milliseconds());
#else
    return ::ppoll(pollfds_.data(), pollfds_.size(), deadline.remaining_timespec(), nullptr);
#endif
  }

  std::vector<pollfd> pollfds_;                   // what the kernel scans
  std::unordered_map<int, std::size_t> slot_of_;  // fd -> its index in pollfds_
};

}  // namespace

std::unique_ptr<Poller> make_poll_poller() { return std::make_unique<PollPoller>(); }

}  // namespace pep3156::reference
