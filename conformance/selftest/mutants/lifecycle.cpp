// Mutants of starting, stopping and closing.
#include <algorithm>
#include <utility>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;
using pep3156::HandleState;

/// stop() throws into the callback that called it.
class StopThrows final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void stop() override {
    inner().stop();
    throw pep3156::RuntimeError("stop() does not return");
  }
};
LOOPCERT_MUTANT({"stop_throws", Expect::caught, "LOOP-STOP-RETURNS-NORMALLY",
                 "stop() throws instead of returning", wrap<StopThrows>});

/// stop() does nothing: run_forever() never returns.
class StopIgnored final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void stop() override {}
};
LOOPCERT_MUTANT({"stop_ignored", Expect::caught, "LOOP-RUNFOREVER-UNTIL-STOP", "stop() is ignored",
                 wrap<StopIgnored>});

/// stop() drops every call_soon() callback not yet run.
class StopDropsReady final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    auto state = std::make_shared<HandleState>(std::move(callback));
    waiting_.push_back(state);
    inner().call_soon([this, state] {
      std::erase(waiting_, state);
      state->run();
    });
    return Handle(state);
  }
  void stop() override {
    for (auto& state : std::exchange(waiting_, {})) state->cancel();
    inner().stop();
  }

 private:
  std::vector<std::shared_ptr<HandleState>> waiting_;
};
LOOPCERT_MUTANT({"stop_drops_ready", Expect::caught, "LOOP-STOP-RESTARTABLE",
                 "stop() drops the callbacks that were ready but had not run", wrap<StopDropsReady>});

/// is_running() is always false.
class NeverRunning final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  bool is_running() const override { return false; }
};
LOOPCERT_MUTANT({"is_running_false", Expect::caught, "LOOP-ISRUNNING", "is_running() is always false",
                 wrap<NeverRunning>});

/// A second close() throws.
class CloseOnce final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void close() override {
    if (closed_) throw pep3156::RuntimeError("already closed");
    closed_ = true;
    ForwardingEventLoop::close();
  }

 private:
  bool closed_ = false;
};
LOOPCERT_MUTANT({"close_twice_throws", Expect::caught, "LOOP-CLOSE-IDEMPOTENT", "a second close() throws",
                 wrap<CloseOnce>});

}  // namespace
}  // namespace conformance::selftest
