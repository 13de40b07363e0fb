// HostedLoop: how a case runs an embedded loop that does not run itself
// (PEP 3156, "Embedded Event Loops"; decision D-LIFE-6).
//
// The case gets the library's loop behind this wrapper, which passes every
// call on except run_forever(), stop() and is_running(): those go through
// the adapter's run_hosted hook, so the host application's own loop runs
// the case's callbacks. run_until_complete() is the PEP's (run_forever()
// stopped by the Future's done-callback), so it goes through the host too.
// The start/stop/close cases stay skipped: here they would test this
// wrapper, not the library.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "pep3156/adapter.hpp"
#include "pep3156/forwarding_loop.hpp"

namespace conformance {

class HostedLoop final : public pep3156::ForwardingEventLoop {
 public:
  using RunHosted = void (*)(pep3156::AbstractEventLoop& loop, const pep3156::HostedBody& inside);

  HostedLoop(std::shared_ptr<pep3156::AbstractEventLoop> library_loop, RunHosted run_hosted);

  /// Runs the host's loop until stop().
  void run_forever() override;
  /// Ends the host's run after the current iteration; before a run, the
  /// next run stops after one iteration (PEP: "if stop() is called before
  /// run_forever() is called, this polls the I/O selector once").
  void stop() override;
  /// True while the host's run is in progress.
  bool is_running() const override { return running_; }
  /// The library's close(), which an embedded loop may leave unimplemented;
  /// this wrapper's own default executor is shut down either way.
  void close() override;

 private:
  RunHosted run_hosted_;
  std::function<void()> quit_;         // the host's, while it runs
  std::atomic<bool> running_ = false;  // asked from any thread
  bool stop_requested_ = false;
};

}  // namespace conformance
