// CoreEventLoop: add_reader()/add_writer() and signal handlers, once for
// both reference loop cores.
#include "reference/core_event_loop.hpp"

#include "signal_handlers.hpp"

namespace pep3156::reference {

CoreEventLoop::CoreEventLoop() = default;
CoreEventLoop::~CoreEventLoop() = default;

// --- I/O callbacks --------------------------------------------------------------------

void CoreEventLoop::add_reader(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_reader()");
  watch(fd, Events::readable, std::make_shared<HandleState>(std::move(callback)));
}

bool CoreEventLoop::remove_reader(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(fd, Events::readable);  // LOOP-IO-REMOVE-READER
}

void CoreEventLoop::add_writer(int fd, Callback callback) {
  check_fd(fd);
  check_open("add_writer()");
  watch(fd, Events::writable, std::make_shared<HandleState>(std::move(callback)));
}

bool CoreEventLoop::remove_writer(int fd) {
  check_fd(fd);
  return !is_closed() && unwatch(fd, Events::writable);  // LOOP-IO-REMOVE-WRITER
}

// --- Signals ---------------------------------------------------------------------------

void CoreEventLoop::add_signal_handler(int sig, Callback callback) {
  check_signal(sig);
  check_open("add_signal_handler()");
  check_main_thread("add_signal_handler()");
  if (!signals_) {
    auto signals = std::make_unique<SignalHandlers>();
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
