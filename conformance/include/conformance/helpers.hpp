// Helpers for driving a loop from a case.
#pragma once

#include <functional>
#include <string>

#include "pep3156/event_loop.hpp"

namespace conformance {

class Context;

/// Stops `loop` once `done()` holds, checking every `interval` seconds on a
/// timer of the loop. For results that arrive in an order the PEP leaves
/// open (timers due together, other threads): the case then need not guess
/// which callback comes last. Run the loop under the watchdog as usual; if
/// `done()` never holds, the watchdog ends the case.
void stop_when(pep3156::AbstractEventLoop& loop, std::function<bool()> done, double interval = 0.001);

/// Runs `loop` under the watchdog until `done()` holds (stop_when()); does
/// not run it at all if `done()` already holds. `waiting_for` names what a
/// timeout would have waited for.
void run_until(Context& ctx, pep3156::AbstractEventLoop& loop, std::function<bool()> done,
               std::string waiting_for);

}  // namespace conformance
