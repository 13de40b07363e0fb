// Helpers for driving a loop from a case.
#pragma once

#include <functional>

#include "pep3156/event_loop.hpp"

namespace conformance {

/// Stops `loop` once `done()` holds, checking every `interval` seconds on a
/// timer of the loop. For results that arrive in an order the PEP leaves
/// open (timers due together, other threads): the case then need not guess
/// which callback comes last. Run the loop under the watchdog as usual; if
/// `done()` never holds, the watchdog ends the case.
void stop_when(pep3156::AbstractEventLoop& loop, std::function<bool()> done, double interval = 0.001);

}  // namespace conformance
