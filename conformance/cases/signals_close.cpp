// close() and signal handlers (PEP 3156, "Starting, Stopping and Closing";
// "Signal callbacks"; optional: Category signals): close() releases what
// the loop holds, and a signal handler it installed is one such thing.
// After close() the signal's disposition is what it was before the loop
// took it, or SIG_DFL (what remove_signal_handler() leaves in asyncio), and
// the signal is blocked only if it was blocked before (a loop reading
// signals from a signalfd blocks them while it has handlers).
#include <pthread.h>
#include <signal.h>

#include "conformance/conformance.hpp"

using namespace pep3156;

namespace {
void case_handler(int) {}

bool blocked(int sig) {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return ::sigismember(&mask, sig) == 1;
}

void (*disposition(int sig))(int) {
  struct sigaction current {};
  ::sigaction(sig, nullptr, &current);
  return current.sa_handler;
}
}  // namespace

LOOPCERT_CASE("signals.close.uninstalls_handlers", clauses("LOOP-CLOSE-RELEASES", "LOOP-SIGNAL-ADD")) {
  struct sigaction own {};
  own.sa_handler = case_handler;
  ::sigemptyset(&own.sa_mask);
  struct sigaction saved {};
  REQUIRE_THAT(::sigaction(SIGUSR2, &own, &saved) == 0, "the case installs a handler of its own for SIGUSR2");
  bool blocked_before = blocked(SIGUSR2);
  auto loop = ctx.new_loop();
  loop->add_signal_handler(SIGUSR2, [] {});
  loop->close();
  auto after = disposition(SIGUSR2);
  bool blocked_after = blocked(SIGUSR2);
  ::sigaction(SIGUSR2, &saved, nullptr);
  CHECK_THAT(after == case_handler || after == SIG_DFL,
             "close() uninstalls the loop's signal handler: the one before it, or SIG_DFL, is back");
  CHECK_EQUAL(blocked_after, blocked_before, "after close(), the signal is blocked only if it was before");
}
