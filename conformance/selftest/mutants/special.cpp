// Loops that crash, hang or leak: each must become that case's verdict
// (CRASH, TIMEOUT, FAIL "leaked fds") without stopping the run.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;

/// A segmentation fault in call_soon().
class CrashInCallSoon final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback) override {
    ::raise(SIGSEGV);
    return {};
  }
};
LOOPCERT_MUTANT({"crash_in_call_soon", Expect::crash, "", "call_soon() dies of SIGSEGV",
                 wrap<CrashInCallSoon>});

/// run_forever() never returns.
class HangInRunForever final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void run_forever() override {
    for (;;) ::pause();
  }
};
LOOPCERT_MUTANT({"hang_in_run_forever", Expect::watchdog, "", "run_forever() never returns",
                 wrap<HangInRunForever>});

/// Making a loop never returns: the case hangs before it waits for the loop,
/// where no watchdog is armed, so only loopcert's hard timeout can end it.
LoopPtr hang_making_the_loop(LoopPtr) {
  for (;;) ::pause();
}
LOOPCERT_MUTANT({"hang_in_make_loop", Expect::timeout, "", "making a loop never returns",
                 &hang_making_the_loop});

/// Opens a descriptor per loop and never closes it.
class LeakFdPerLoop final : public pep3156::ForwardingEventLoop {
 public:
  explicit LeakFdPerLoop(std::shared_ptr<pep3156::AbstractEventLoop> inner)
      : ForwardingEventLoop(std::move(inner)), leaked_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

 private:
  int leaked_;
};
LOOPCERT_MUTANT({"leak_fd_per_loop", Expect::leak, "", "every loop leaks a descriptor", wrap<LeakFdPerLoop>});

}  // namespace
}  // namespace conformance::selftest
