// CoreEventLoop's signal handlers on POSIX: the self-pipe that the C
// handler writes to, watched by the loop (SignalHandlers).
#include "reference/core_event_loop.hpp"
#include "signal_handlers.hpp"

namespace pep3156::reference {

// --- Signals ---------------------------------------------------------------------------

void CoreEventLoop::add_signal_handler(int sig, Callback callback) {
  check_signal(sig);
  check_open("add_signal_handler()");
  check_main_thread("add_signal_handler()");
  if (!signals_) {
    auto signals = std::make_shared<SignalHandlers>();
    // The self-pipe's callback turns each delivery into a run of the
    // signal's handler, from the ready queue (LOOP-SIGNAL-ADD).
    watch(signals->read_fd(), Events::readable, std::make_shared<HandleState>([this] {
            for (auto& handler : signals_->take_delivered()) schedule(std::move(handler));
          }));
    signals_ = std::move(signals);
  }
  signals_->add(sig, std::make_shared<HandleState>(std::move(callback)));
}

bool CoreEventLoop::remove_signal_handler(int sig) {
  check_signal(sig);
  if (is_closed()) return false;
  check_main_thread("remove_signal_handler()");
  return signals_ && signals_->remove(sig);
}

void CoreEventLoop::close_signals() noexcept { signals_.reset(); }

}  // namespace pep3156::reference
