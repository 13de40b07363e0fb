// CoreEventLoop: add_reader()/add_writer(), once for both reference loop
// cores. Signal handlers: core_event_loop_signals.cpp (POSIX) or
// core_event_loop_without_signals.cpp (Windows).
#include "reference/core_event_loop.hpp"

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

}  // namespace pep3156::reference
