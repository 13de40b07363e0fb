// Mutants of the loop's Futures and its error handling.
#include <utility>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;
using pep3156::Handle;

/// A Future that calls its done callbacks at once, from whatever made it
/// done (or from add_done_callback() when it already is).
class ImmediateFuture final : public pep3156::StandardFuture {
 public:
  using StandardFuture::StandardFuture;
  pep3156::CallbackId add_done_callback(pep3156::DoneCallback fn) override {
    if (done()) {
      fn(shared_from_this());
    } else {
      waiting_.push_back(std::move(fn));
    }
    return next_id_++;
  }
  void set_result_value(pep3156::Value result) override {
    StandardFuture::set_result_value(std::move(result));
    call_all();
  }
  void set_exception(std::exception_ptr exception) override {
    StandardFuture::set_exception(std::move(exception));
    call_all();
  }
  bool cancel() override {
    bool cancelled = StandardFuture::cancel();
    if (cancelled) call_all();
    return cancelled;
  }

 private:
  void call_all() {
    for (auto& fn : std::exchange(waiting_, {})) fn(shared_from_this());
  }
  std::vector<pep3156::DoneCallback> waiting_;
  pep3156::CallbackId next_id_ = 1;
};

class ImmediateFutures final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::create_future;
  using ForwardingEventLoop::ForwardingEventLoop;
  pep3156::FuturePtr create_future() override { return std::make_shared<ImmediateFuture>(*this); }
};
LOOPCERT_MUTANT({"future_callbacks_immediate", Expect::caught, "FUT-CALLBACK-NEVER-IMMEDIATE",
                 "create_future() returns Futures that call done callbacks at once", wrap<ImmediateFutures>});

/// Swallows what call_soon() callbacks throw: the exception handler never
/// hears of it.
class ExceptionsSwallowed final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_soon;
  using ForwardingEventLoop::ForwardingEventLoop;
  Handle call_soon(Callback callback) override {
    return inner().call_soon([callback = std::move(callback)]() mutable {
      try {
        callback();
      } catch (const std::exception&) {
      }
    });
  }
};
LOOPCERT_MUTANT({"callback_exceptions_swallowed", Expect::caught, "LOOP-ERR-HANDLER-RECEIVES",
                 "exceptions from callbacks never reach the exception handler", wrap<ExceptionsSwallowed>});

}  // namespace
}  // namespace conformance::selftest
