// CoreEventLoop: what the reference's two loop cores share above
// BaseEventLoop — add_reader()/add_writer() and signal handlers, both on
// the loop's own way of watching an fd. CoreSelectorEventLoop watches with
// its Poller, CoreProactorEventLoop with poll operations; each supplies
// watch() and unwatch(), and everything the PEP says about the methods
// (argument checks, which thread, a closed loop) is here once.
//
// Signals (Category::signals): main thread only (RuntimeError elsewhere),
// and one loop per signal at a time (RuntimeError for a second loop).
// Handlers run as ordinary callbacks, from the self-pipe that the C handler
// writes to and the loop watches (SignalHandlers); removing one restores
// SIG_DFL, and close() removes them all. The Windows build has no signals:
// both methods raise NotImplementedError there, as the PEP allows a loop
// without them (core_event_loop_without_signals.cpp).
#pragma once

#include <memory>

#include "reference/base_event_loop.hpp"
#include "reference/poller.hpp"

namespace pep3156::reference {

class SignalHandlers;

class CoreEventLoop : public BaseEventLoop {
 public:
  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_signal_handler;
  using AbstractEventLoop::add_writer;

  // --- I/O callbacks ------------------------------------------------------------

  /// ValueError for a negative fd; RuntimeError if closed; what the
  /// loop's watch() throws (CoreSelectorEventLoop: its Poller::add()).
  void add_reader(int fd, Callback callback) override;
  /// True if a reader was removed. ValueError for a negative fd; false on a
  /// closed loop.
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;

  // --- Signals ----------------------------------------------------------------

  /// ValueError for an invalid or uncatchable signal; RuntimeError if
  /// closed, off the main thread, or if another loop handles `sig`.
  void add_signal_handler(int sig, Callback callback) override;
  /// True if a handler was removed. Same errors as add_signal_handler(),
  /// except false on a closed loop.
  bool remove_signal_handler(int sig) override;

 protected:
  CoreEventLoop();
  ~CoreEventLoop() override;

  /// Runs `handle` whenever fd is ready in `direction` (readable or
  /// writable), level-triggered, replacing (and cancelling) the callback
  /// registered for that direction before (LOOP-IO-ADD-REPLACES).
  virtual void watch(int fd, Events direction, std::shared_ptr<HandleState> handle) = 0;
  /// Drops and cancels fd's callback for `direction`; false if none.
  virtual bool unwatch(int fd, Events direction) = 0;

  /// For close_io(): removes every signal handler (SIG_DFL again) and
  /// closes the self-pipe.
  void close_signals() noexcept;

 private:
  // Created by the first add_signal_handler(). Shared, not unique, only so
  // that this class's destructor needs no SignalHandlers, which the Windows
  // build does not have.
  std::shared_ptr<SignalHandlers> signals_;
};

}  // namespace pep3156::reference
