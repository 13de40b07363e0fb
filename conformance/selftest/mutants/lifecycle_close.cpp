// Mutants of close() and is_closed().
#include <utility>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;
using pep3156::HandleState;

/// close() leaves the default executor running (until the loop is destroyed).
class CloseKeepsDefaultExecutor final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void close() override { inner().close(); }
};
LOOPCERT_MUTANT({"close_keeps_default_executor", Expect::caught, "LOOP-CLOSE-RELEASES",
                 "close() does not shut the default executor down", wrap<CloseKeepsDefaultExecutor>});

/// close() only marks the loop closed; its descriptors are released when
/// the loop is destroyed.
class CloseKeepsDescriptors final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  ~CloseKeepsDescriptors() override { inner().close(); }
  void close() override {
    closed_ = true;
    shutdown_default_executor();
  }
  bool is_closed() const override { return closed_; }

 private:
  bool closed_ = false;
};
LOOPCERT_MUTANT({"close_keeps_descriptors", Expect::caught, "LOOP-CLOSE-RELEASES",
                 "close() keeps the loop's descriptors open until the loop is destroyed",
                 wrap<CloseKeepsDescriptors>});

/// is_closed() is always false.
class NeverClosed final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  bool is_closed() const override { return false; }
};
LOOPCERT_MUTANT({"is_closed_false", Expect::caught, "LOOP-ISCLOSED", "is_closed() is always false",
                 wrap<NeverClosed>});

/// close() from a callback of the running loop raises, and ends the run
/// too: the loop is not left whole after refusing (decision D-LIFE-1).
class CloseWhileRunningStops final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void close() override {
    if (inner().is_running()) {
      inner().stop();
      throw pep3156::RuntimeError("close() while running");
    }
    ForwardingEventLoop::close();
  }
};
LOOPCERT_MUTANT({"close_while_running_stops", Expect::caught, "LOOP-CLOSE-NOT-WHILE-RUNNING",
                 "close() from a running loop's callback raises, and stops the loop as well",
                 wrap<CloseWhileRunningStops>});

/// "This should not be called while the event loop is running" binds the
/// caller: a loop that accepts close() then and closes once the run has
/// ended takes a freedom the PEP leaves it.
class CloseWhileRunningDeferred final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void close() override {
    if (inner().is_running()) {
      close_after_run_ = true;
      return;
    }
    ForwardingEventLoop::close();
  }
  void run_forever() override {
    inner().run_forever();
    if (std::exchange(close_after_run_, false)) ForwardingEventLoop::close();
  }

 private:
  bool close_after_run_ = false;
};
LOOPCERT_MUTANT({"close_while_running_deferred", Expect::tolerated, "LOOP-CLOSE-NOT-WHILE-RUNNING",
                 "close() from a running loop's callback takes effect once the run has ended",
                 wrap<CloseWhileRunningDeferred>});

/// A closed loop silently accepts run_forever() (which returns at once) and
/// call_soon() (whose callback never runs).
class ClosedLoopAcceptsUse final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  void run_forever() override {
    if (!is_closed()) inner().run_forever();
  }
  Handle call_soon(Callback callback) override {
    if (is_closed()) return Handle(std::make_shared<HandleState>(std::move(callback)));
    return inner().call_soon(std::move(callback));
  }
};
LOOPCERT_MUTANT({"closed_loop_accepts_use", Expect::caught, "LOOP-CLOSE-NO-REUSE",
                 "a closed loop accepts run_forever() and call_soon() without raising",
                 wrap<ClosedLoopAcceptsUse>});

}  // namespace
}  // namespace conformance::selftest
