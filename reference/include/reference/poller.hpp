// The poller contract: the one interface between SelectorEventLoop and a
// kernel's readiness API (select, poll, epoll, kqueue).
//
// A poller answers one question: "which of these file descriptors can I
// read from or write to without blocking?" The loop registers each fd it
// cares about with add(), changes or drops the registration with modify()
// and remove(), and once per iteration asks wait() which fds are ready.
// Each backend translates its kernel's answer (an fd_set, a pollfd array,
// epoll_events, kevents) into one shared array of FiredEvents, so the loop
// never sees a kernel structure.
//
// Everything a backend guarantees, and every way the backends differ, is
// written at the declaration below. The backends live in one file each
// (src/select_poller.cpp, poll_poller.cpp, epoll_poller.cpp,
// kqueue_poller.cpp), with the kernel quirks they work around described at
// the top of that file.
//
// Threads: a poller is used by one thread at a time (the loop's). Another
// thread that needs to wake a blocked wait() writes to an fd registered
// here (the loop's Waker), never calls the poller itself.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pep3156::reference {

/// What a registration watches for, and what wait() reports. A bit set.
enum class Events : unsigned {
  none = 0,
  readable = 1u << 0,
  writable = 1u << 1,
  /// Reported by wait() only, and alone: the fd was closed while
  /// registered (select and poll notice this; epoll and kqueue silently
  /// forget a closed fd instead). The caller should remove() it.
  invalid = 1u << 2,
};

constexpr Events operator|(Events a, Events b) noexcept {
  return static_cast<Events>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr Events operator&(Events a, Events b) noexcept {
  return static_cast<Events>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
/// True if `set` contains any bit of `bits`.
constexpr bool has(Events set, Events bits) noexcept { return (set & bits) != Events::none; }

/// One ready fd, as wait() reports it.
struct FiredEvent {
  int fd;
  Events events;
};

class Poller {
 public:
  virtual ~Poller() = default;
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// Starts watching `fd` for `events`.
  ///
  /// Preconditions, each checked:
  ///   - fd >= 0, else ValueError;
  ///   - `events` is readable, writable or both, else ValueError;
  ///   - fd is not registered yet, else std::system_error(EEXIST).
  /// Other failures:
  ///   - select: fd >= FD_SETSIZE (1024) gives ValueError; select cannot
  ///     watch it (use poll or epoll).
  ///   - epoll: std::system_error with the kernel's errno: EBADF for a
  ///     closed fd, EPERM for a regular file (disk files are always
  ///     "ready", so epoll refuses them). kqueue: EBADF likewise.
  ///   - select and poll accept a closed fd here and report it as
  ///     Events::invalid from the next wait().
  /// On failure nothing is registered.
  virtual void add(int fd, Events events) = 0;

  /// Replaces what a registered fd is watched for. Same preconditions as
  /// add(), except that fd must be registered, else
  /// std::system_error(ENOENT). On failure the old registration stays.
  virtual void modify(int fd, Events events) = 0;

  /// Stops watching fd. Never fails: an fd that is not registered is
  /// ignored, and so is an fd that was closed since add() (epoll and kqueue
  /// have already dropped it themselves; their EBADF/ENOENT is expected).
  virtual void remove(int fd) noexcept = 0;

  /// Waits until at least one registered fd is ready or `timeout` has
  /// elapsed, and returns the ready fds.
  ///
  ///   - timeout: nullopt blocks with no limit; zero (or negative) only
  ///     looks. The precision is the kernel's (nanoseconds for pselect,
  ///     ppoll, epoll_pwait2 and kevent); where only milliseconds exist the
  ///     timeout is rounded UP, so wait() never returns before the timeout
  ///     because of rounding. It may return later (kernel timer slack).
  ///     Timeouts above one day are cut to one day.
  ///   - The result: each fd at most once; its events are a non-empty part
  ///     of what it is registered for, or exactly Events::invalid. Errors
  ///     and hang-ups (POLLERR, POLLHUP, EPOLLERR, EV_EOF) are reported as
  ///     whichever of readable/writable the fd is registered for, so the
  ///     callback finds the error with its next read or write. select: a
  ///     round that finds a closed fd reports only the closed fds.
  ///   - An empty result usually means the timeout expired, but not always
  ///     (epoll may wake for an fd it no longer watches): a caller checks
  ///     its clock, not the result.
  ///   - Level-triggered: an fd that is still ready (unread data, free send
  ///     buffer) is reported again by every wait().
  ///   - The span stays valid until the next wait(): the caller may
  ///     add(), modify() and remove() while it walks through it.
  ///   - EINTR (a signal handler ran) is retried inside, with the time that
  ///     remains; a signal meant to wake the loop must make a registered fd
  ///     readable (the self-pipe trick).
  /// Throws std::system_error (errno) on any other failure.
  virtual std::span<const FiredEvent> wait(std::optional<std::chrono::nanoseconds> timeout) = 0;

  /// "select", "poll", "epoll" or "kqueue".
  virtual std::string_view name() const noexcept = 0;

 protected:
  /// What wait() returns: every backend fills this one array (Redis ae's
  /// `fired[]`), so the loop reads one format whatever the kernel.
  std::vector<FiredEvent> fired_;
};

/// The pollers this build offers, oldest first: "select", "poll", then
/// "epoll" (Linux) or "kqueue" (BSD, macOS).
std::vector<std::string> available_pollers();

/// A new poller by name; "" means the best available (the last of
/// available_pollers()). ValueError for an unknown name or one this
/// platform does not offer. std::system_error if the kernel refuses to
/// create it (epoll_create1, kqueue).
std::unique_ptr<Poller> make_poller(std::string_view name);

}  // namespace pep3156::reference
