// Mutant of run_forever() on a loop with nothing scheduled.
#include <atomic>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// run_forever() returns at once when no callback, timer, descriptor or
/// signal handler is pending (libuv's uv_run() when no handle is alive),
/// whether or not another thread will post.
class ReturnsWhenIdle final : public CallbackMutant {
 public:
  using CallbackMutant::CallbackMutant;

  void run_forever() override {
    if (pending_ == 0 && watched_ == 0) return;
    inner().run_forever();
  }

 private:
  /// A callback counts as pending until it runs (a cancelled one stays
  /// counted, and a removed reader watched: the mutant errs towards
  /// running).
  Callback wrapped(Kind kind, Callback callback) override {
    if (kind == Kind::io || kind == Kind::signal) {
      ++watched_;
      return callback;
    }
    ++pending_;
    return [this, callback = std::move(callback)]() mutable {
      --pending_;
      callback();
    };
  }
  std::atomic<int> pending_{0};
  int watched_ = 0;
};
LOOPCERT_MUTANT({"returns_when_idle", Expect::caught, "LOOP-RUNFOREVER-UNTIL-STOP",
                 "run_forever() returns by itself when nothing is scheduled", wrap<ReturnsWhenIdle>});

}  // namespace
}  // namespace conformance::selftest
