// HostedLoop: an embedded loop run by its host application (decision D-LIFE-6).
#include "hosted_loop.hpp"

#include <utility>

#include "pep3156/errors.hpp"

namespace conformance {

HostedLoop::HostedLoop(std::shared_ptr<pep3156::AbstractEventLoop> library_loop, RunHosted run_hosted)
    : ForwardingEventLoop(std::move(library_loop)), run_hosted_(run_hosted) {}

void HostedLoop::run_forever() {
  if (is_closed()) throw pep3156::RuntimeError("run_forever(): the event loop is closed");
  if (running_) throw pep3156::RuntimeError("run_forever(): the event loop is already running");
  // Running from the start: callbacks scheduled before `inside` run in the
  // host's first iteration too.
  running_ = true;
  struct Running {
    HostedLoop& loop;
    ~Running() {
      loop.running_ = false;
      loop.quit_ = nullptr;
    }
  } running{*this};
  run_hosted_(inner(), [this](std::function<void()> quit) {
    quit_ = std::move(quit);
    if (std::exchange(stop_requested_, false)) quit_();
  });
}

void HostedLoop::stop() {
  if (quit_) {
    quit_();
  } else {
    stop_requested_ = true;
  }
}

void HostedLoop::close() {
  try {
    ForwardingEventLoop::close();
  } catch (const pep3156::NotImplementedError&) {
    shutdown_default_executor();
    throw;
  }
}

}  // namespace conformance
