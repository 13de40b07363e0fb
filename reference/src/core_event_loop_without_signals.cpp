// CoreEventLoop's signal handlers on Windows, which has no POSIX signals:
// PEP 3156 lets such a loop raise NotImplementedError from both methods
// (LOOP-SIGNAL-UNIX-ONLY, LOOP-SIGNAL-NIE-STATIC; spec/decisions.md,
// D-PLAT-2).
#include "reference/core_event_loop.hpp"

namespace pep3156::reference {

void CoreEventLoop::add_signal_handler(int, Callback) {
  throw NotImplementedError("add_signal_handler(): this build has no signals (Windows)");
}

bool CoreEventLoop::remove_signal_handler(int) {
  throw NotImplementedError("remove_signal_handler(): this build has no signals (Windows)");
}

void CoreEventLoop::close_signals() noexcept {}

}  // namespace pep3156::reference
