// CoreProactorEventLoop: the PEP's completion-based loop (asyncio's
// ProactorEventLoop), over one Proactor (io_uring, IOCP) chosen when it is
// created, with nothing but the loop itself: callbacks, timers, I/O
// callbacks, signals, threads. Like CoreSelectorEventLoop it links only the
// contract's vocabulary library, and its networking methods raise the
// contract's NotImplementedError.
//
//   auto loop = std::make_shared<CoreProactorEventLoop>(make_proactor("io_uring"));
//
// BaseEventLoop runs the iterations; this class supplies their steps 2 and
// 3 the proactor's way (README.md, "One proactor iteration"): submit the
// operations queued since the last iteration and wait for completions, then
// call each completion, which schedules the callback it stands for.
//
// What is always in flight: one poll per add_reader()/add_writer()
// registration, one on the signal self-pipe once a signal is handled, and
// whatever the proactor keeps for its wake_up() (io_uring: a poll on an
// eventfd), which call_soon_threadsafe() calls.
//
// I/O callbacks (Category::io_callbacks), with the selector loop's
// semantics from one-shot polls: a poll that completes schedules its
// callback and is submitted again at once, so the callback runs on every
// iteration while the fd stays ready (LOOP-IO-READER-WHENEVER-READY). A
// second add replaces the first and its poll: the replaced callback never
// runs again, even if it was already queued (LOOP-IO-ADD-REPLACES), and the
// new poll watches the file the fd names now. The loop never changes an
// fd's flags and never closes it. An fd that is closed when its poll
// reaches the kernel is dropped, with a report to the exception handler;
// one closed while polled is not noticed (the poll holds the file open),
// and remove_*() ends its poll. remove_*() never throws because of a
// closed fd.
//
// Signals (Category::signals): CoreEventLoop's, the self-pipe watched by
// a poll.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "reference/core_event_loop.hpp"
#include "reference/proactor.hpp"

namespace pep3156::reference {

class CoreProactorEventLoop : public CoreEventLoop {
 public:
  /// ValueError if `proactor` is null.
  explicit CoreProactorEventLoop(std::unique_ptr<Proactor> proactor = make_proactor(""));
  /// Closes the loop if close() was not called (and, in debug mode,
  /// reports "unclosed event loop" to the exception handler first).
  ~CoreProactorEventLoop() override;

  /// The proactor's name: "io_uring".
  std::string_view proactor_name() const noexcept { return proactor_name_; }

 protected:
  /// For the layers above, which submit their own operations. Not after
  /// close().
  Proactor& proactor() noexcept { return *proactor_; }

 private:
  /// One registered callback and the poll in flight for it.
  struct Watch {
    std::shared_ptr<HandleState> handle;
    OperationId poll = 0;
  };
  /// The watches of one fd, one per direction.
  struct FdWatches {
    Watch reader;
    Watch writer;

    Watch& of(Events direction) { return direction == Events::readable ? reader : writer; }
    bool empty() const noexcept { return !reader.handle && !writer.handle; }
  };

  void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake_up() noexcept override;
  void close_io() noexcept override;

  void watch(int fd, Events direction, std::shared_ptr<HandleState> handle) override;
  bool unwatch(int fd, Events direction) override;
  OperationId poll_fd(int fd, Events direction);
  void on_fd_polled(int fd, Events direction, const std::shared_ptr<HandleState>& handle, int result);

  std::unique_ptr<Proactor> proactor_;
  std::string proactor_name_;  // kept: close() releases the proactor
  std::unordered_map<int, FdWatches> fds_;
};

}  // namespace pep3156::reference
