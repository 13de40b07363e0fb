// Mutant of close() on a loop with signal handlers.
#include <signal.h>

#include <map>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// close() leaves the C handlers of add_signal_handler() installed (and
/// the signal mask as it is), as if it forgot its signal handlers.
class CloseKeepsSignalHandlers final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_signal_handler;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_signal_handler(int sig, Callback callback) override {
    inner().add_signal_handler(sig, std::move(callback));
    ::sigaction(sig, nullptr, &installed_[sig]);
  }
  void close() override {
    sigset_t mask;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    ForwardingEventLoop::close();
    for (const auto& [sig, action] : installed_) ::sigaction(sig, &action, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
    installed_.clear();
  }

 private:
  std::map<int, struct sigaction> installed_;
};
LOOPCERT_MUTANT({"close_keeps_signal_handlers", Expect::caught, "LOOP-CLOSE-RELEASES",
                 "close() leaves the loop's signal handlers installed", wrap<CloseKeepsSignalHandlers>});

}  // namespace
}  // namespace conformance::selftest
