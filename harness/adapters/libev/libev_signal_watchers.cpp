// LibevCoreLoop's signal handlers: one ev_signal per signal.
//
// libev lets one loop at a time watch a given signal: its signal table is
// process-wide and names one loop per signal (ev.c ev_signal_start(): "a
// signal must not be attached to two different loops", an assert), and
// stopping the last watcher of a signal restores SIG_DFL
// (ev_signal_stop()). So a process-wide table of owners here turns a second
// loop's add into the PEP's RuntimeError before libev sees it. libev's C
// handler only flags the signal and writes to the loop's eventfd; the
// ev_signal's callback then queues the Handle (LOOP-SIGNAL-ADD).
#include <array>
#include <atomic>
#include <csignal>
#include <string>

#include "libev_event_loop.hpp"

namespace loopcert_libev {

namespace {

std::atomic<const LibevCoreLoop*>& owner_of(int sig) {
  static std::array<std::atomic<const LibevCoreLoop*>, NSIG> owners{};
  return owners[sig];
}

}  // namespace

void LibevCoreLoop::add_signal_handler(int sig, Callback callback) {
  check_signal(sig);
  check_open("add_signal_handler()");
  check_main_thread("add_signal_handler()");
  const LibevCoreLoop* owner = nullptr;
  if (!owner_of(sig).compare_exchange_strong(owner, this) && owner != this) {
    throw pep3156::RuntimeError("add_signal_handler(): signal " + std::to_string(sig) +
                                " is handled by another event loop");
  }
  auto handle = std::make_shared<HandleState>(std::move(callback));
  std::unique_ptr<Watch<ev_signal>>& watch = signals_[sig];
  if (watch) {
    std::exchange(watch->handle, std::move(handle))->cancel();  // LOOP-SIGNAL-REPLACE
    return;
  }
  watch = std::make_unique<Watch<ev_signal>>();
  watch->handle = std::move(handle);
  ev_signal_init(&watch->watcher, &on_signal, sig);
  watch->watcher.data = watch.get();
  ev_signal_start(loop_, &watch->watcher);
}

bool LibevCoreLoop::remove_signal_handler(int sig) {
  check_signal(sig);
  if (is_closed()) return false;
  check_main_thread("remove_signal_handler()");
  return remove_signal(sig);  // LOOP-SIGNAL-REMOVE
}

bool LibevCoreLoop::remove_signal(int sig) noexcept {
  auto it = signals_.find(sig);
  if (it == signals_.end()) return false;
  ev_signal_stop(loop_, &it->second->watcher);  // the last watcher of sig: SIG_DFL
  it->second->handle->cancel();
  signals_.erase(it);
  owner_of(sig) = nullptr;
  return true;
}

void LibevCoreLoop::on_signal(struct ev_loop* loop, ev_signal* watcher, int) noexcept {
  static_cast<LibevCoreLoop*>(ev_userdata(loop))
      ->schedule(static_cast<Watch<ev_signal>*>(watcher->data)->handle);
}

}  // namespace loopcert_libev
