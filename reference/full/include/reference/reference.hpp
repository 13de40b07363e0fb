// The reference implementation in one include: the pollers, the complete
// SelectorEventLoop, the proactor loop, and install(), which makes
// SelectorEventLoop the default loop.
#pragma once

#include "reference/poller.hpp"
#include "reference/proactor_event_loop.hpp"
#include "reference/selector_event_loop.hpp"

namespace pep3156::reference {

/// Makes SelectorEventLoop, on the best poller available, the loop that
/// new_event_loop() and the default policy create
/// (pep3156::set_default_loop_factory()).
void install();

}  // namespace pep3156::reference
