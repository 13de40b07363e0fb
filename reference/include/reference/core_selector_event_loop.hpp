// CoreSelectorEventLoop: the PEP's readiness-based loop, over one Poller
// (select, poll, epoll or kqueue) chosen when it is created, with nothing
// but the loop itself: callbacks, timers, I/O callbacks, signals, threads.
// It links only the contract's vocabulary library (pep3156), so it builds,
// reads and is counted alone:
//
//   auto loop = std::make_shared<CoreSelectorEventLoop>(make_poller("poll"));
//
// SelectorEventLoop (reference/full) derives from it and adds networking,
// TLS and subprocesses, as asyncio's selector_events sits on base_events.
// Its networking methods raise NotImplementedError (BaseEventLoop's).
//
// BaseEventLoop runs the iterations; this class supplies their steps 2 and
// 3 (wait on the poller, queue the callbacks of the ready fds) and owns
// what they need: the poller, the table of fd callbacks and the Waker that
// call_soon_threadsafe() writes to. The methods themselves, and signal
// handlers, are CoreEventLoop's.
//
// I/O callbacks (Category::io_callbacks): add_reader()/add_writer() keep
// one callback per fd and direction; a second add replaces the first, and
// the replaced callback never runs again, even if it was already queued
// (LOOP-IO-ADD-REPLACES). Level-triggered: the callback runs on every
// iteration while the fd stays ready (LOOP-IO-READER-WHENEVER-READY). The
// loop never changes an fd's flags (blocking mode included) and never
// closes it. An fd closed while registered is dropped, with a report to
// the exception handler, as soon as the poller notices (select, poll) or
// when a remove_*() finds it gone; epoll and kqueue forget a closed fd
// without telling, and its callbacks simply stop. remove_*() never throws
// because of such an fd.
//
// Signals (Category::signals): CoreEventLoop's, the self-pipe watched by
// the poller.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "reference/core_event_loop.hpp"
#include "reference/poller.hpp"
#include "reference/waker.hpp"

namespace pep3156::reference {

class CoreSelectorEventLoop : public CoreEventLoop {
 public:
  /// ValueError if `poller` is null.
  explicit CoreSelectorEventLoop(std::unique_ptr<Poller> poller = make_poller(""));
  /// Closes the loop if close() was not called (and, in debug mode,
  /// reports "unclosed event loop" to the exception handler first).
  ~CoreSelectorEventLoop() override;

  /// The poller's name: "select", "poll", "epoll" or "kqueue".
  std::string_view poller_name() const noexcept { return poller_name_; }

 private:
  /// The callbacks registered for one fd.
  struct FdCallbacks {
    std::shared_ptr<HandleState> reader;
    std::shared_ptr<HandleState> writer;

    std::shared_ptr<HandleState>& of(Events direction) {
      return direction == Events::readable ? reader : writer;
    }
    Events events() const noexcept {
      return (reader ? Events::readable : Events::none) | (writer ? Events::writable : Events::none);
    }
  };

  void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake_up() noexcept override;
  void close_io() noexcept override;

  void queue_io_callbacks(std::span<const FiredEvent> fired);
  void watch(int fd, Events direction, std::shared_ptr<HandleState> handle) override;
  bool unwatch(int fd, Events direction) override;
  void forget_closed_fd(int fd);

  std::unique_ptr<Poller> poller_;
  std::string poller_name_;  // kept: close() releases the poller
  Waker waker_;
  bool waker_to_drain_ = false;  // it woke the loop, and is still readable
  std::unordered_map<int, FdCallbacks> fds_;
};

}  // namespace pep3156::reference
