// Mutant of call_soon_threadsafe() called from the loop's own thread.
#include <memory>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;

/// call_soon_threadsafe() queues its callback apart, and the loop appends
/// that queue to the ready queue only at its next poll: from the loop's
/// thread, the callback runs after call_soon() callbacks scheduled later.
class ThreadsafeQueuedApart final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon_threadsafe;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon_threadsafe(Callback callback) override {
    auto shared = std::make_shared<Callback>(std::move(callback));
    return inner().call_soon_threadsafe([this, shared] { inner().call_soon([shared] { (*shared)(); }); });
  }
};
LOOPCERT_MUTANT({"threadsafe_queued_apart", Expect::caught, "LOOP-CALLSOON-FIFO",
                 "call_soon_threadsafe() from the loop's thread runs after later call_soon() callbacks",
                 wrap<ThreadsafeQueuedApart>});

}  // namespace
}  // namespace conformance::selftest
