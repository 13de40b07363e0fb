// BaseEventLoop as an adapter's base class: timers that a library fires
// (schedule_expired_timer()) run in deadline order, from the ready queue,
// whatever order the library fired them in. The "library" here is a
// CoreSelectorEventLoop subclass whose call_at() keeps the timers aside and
// fires them all, in the order they were started, at its next poll: what
// libuv does with timers that fall in one millisecond.
#include <memory>
#include <string>
#include <vector>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;

namespace {

class StartOrderTimersLoop final : public CoreSelectorEventLoop {
 public:
  using AbstractEventLoop::call_at;
  using CoreSelectorEventLoop::CoreSelectorEventLoop;

  TimerHandle call_at(double when, Callback callback) override {
    auto timer = std::make_shared<TimerHandleState>(when, std::move(callback));
    started_.push_back(timer);
    return TimerHandle(timer);
  }

  /// The library's expiry: every started timer, in start order.
  void fire_started_timers() {
    for (auto& timer : started_) schedule_expired_timer(std::move(timer));
    started_.clear();
  }

 private:
  std::vector<std::shared_ptr<TimerHandleState>> started_;
};

}  // namespace

TEST_CASE("timers a library fires out of deadline order run in deadline order, ties in the library's order") {
  auto loop = std::make_shared<StartOrderTimersLoop>(make_poller(""));
  std::string order;
  double now = loop->time();
  loop->call_at(now + 0.0009, [&] { order += "c"; });
  loop->call_at(now + 0.0001, [&] { order += "a"; });
  loop->call_at(now + 0.0005, [&] { order += "b1"; });
  loop->call_at(now + 0.0005, [&] { order += "b2"; });
  TimerHandle cancelled = loop->call_at(now + 0.0002, [&] { order += "x"; });
  cancelled.cancel();
  loop->call_soon([&] { loop->fire_started_timers(); });
  loop->call_soon([&] { loop->call_soon([&] { loop->stop(); }); });
  loop->run_forever();
  CHECK(order ==
        "ab1b2c");  // LOOP-CALLLATER-ONCE, LOOP-CALLLATER-SAME-TIME-UNORDERED (a tie keeps start order)
  loop->close();
}
