// Mutant of the loop's clock on a busy loop: a clock read once per
// iteration, as libuv caches uv_now().
#include <cstdint>
#include <optional>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// time() is read from the correct loop by the first callback of each
/// iteration and returned unchanged until the next iteration: callbacks
/// late in a busy iteration see a stale time, and timers they schedule are
/// due early by however long the iteration has run. "The next iteration"
/// is the one in which a call_soon() made by that first callback runs.
class ClockReadOncePerIteration final : public CallbackMutant {
 public:
  using CallbackMutant::CallbackMutant;

  double time() override { return cached_ ? *cached_ : inner().time(); }
  void run_forever() override {
    ++run_;
    iteration_read_ = false;
    inner().run_forever();
    cached_.reset();
  }

 private:
  Callback wrapped(Kind, Callback callback) override {
    return [this, callback = std::move(callback)]() mutable {
      if (!iteration_read_) {
        cached_ = inner().time();
        iteration_read_ = true;
        inner().call_soon([this, run = run_] {
          if (run == run_) iteration_read_ = false;
        });
      }
      callback();
    };
  }

  std::optional<double> cached_;
  bool iteration_read_ = false;
  std::uint64_t run_ = 0;  // a marker left over from an earlier run is ignored
};
LOOPCERT_MUTANT({"clock_read_once_per_iteration", Expect::caught, "LOOP-TIME-FLOAT",
                 "time() is read once per iteration, so it lags on a busy loop and timers fire early",
                 wrap<ClockReadOncePerIteration>});

}  // namespace
}  // namespace conformance::selftest
