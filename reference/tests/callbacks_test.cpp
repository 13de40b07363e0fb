// Basic and timed callbacks (LOOP-CALLSOON-*, LOOP-CALLLATER-*, LOOP-CALLAT-*,
// LOOP-TIME-*) and the timer heap, on every poller.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

TEST_CASE("call_soon() runs callbacks in the order they were scheduled, after call_soon() returns") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::vector<int> order;
    for (int i = 0; i < 100; ++i) loop->call_soon([&order, i] { order.push_back(i); });
    CHECK(order.empty());  // LOOP-CALLSOON-SCHEDULES
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    REQUIRE(order.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(order[i] == i);
    loop->close();
  });
}

TEST_CASE("a callback scheduled by a callback runs after every callback that was ready before it") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::string order;
    loop->call_soon([&] {
      order += "a";
      loop->call_soon([&] {
        order += "c";
        loop->stop();
      });
    });
    loop->call_soon([&] { order += "b"; });
    loop->run_forever();
    CHECK(order == "abc");
    loop->close();
  });
}

TEST_CASE("a cancelled Handle's callback never runs, even if cancelled by the callback before it") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::string order;
    Handle doomed = loop->call_soon([&] { order += "x"; });
    doomed.cancel();
    Handle second;
    loop->call_soon([&] {
      order += "a";
      second.cancel();
    });
    second = loop->call_soon([&] { order += "y"; });
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(order == "a");
    CHECK(doomed.cancelled());
    loop->close();
  });
}

TEST_CASE("timers never run before their deadline") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    const std::vector<double> delays = {-1.0, 0.0, 1e-6, 1e-4, 5e-4, 0.001, 0.002, 0.005};
    std::vector<TimerHandle> handles(delays.size());
    std::size_t fired = 0;
    for (std::size_t i = 0; i < delays.size(); ++i) {
      handles[i] = loop->call_later(delays[i], [&, i] {
        CHECK(loop->time() >= handles[i].when());
        if (++fired == delays.size()) loop->stop();
      });
    }
    double deadline = loop->time() + 0.003;
    loop->call_at(deadline, [&] { CHECK(loop->time() >= deadline); });
    loop->run_forever();
    CHECK(fired == delays.size());
    loop->close();
  });
}

TEST_CASE("a timer 300 microseconds away costs one wait, not a spin: the timeout is not rounded down") {
  for_each_poller([](const std::string& poller) {
    auto counting = std::make_unique<CountingPoller>(make_poller(poller));
    CountingPoller& waits = *counting;
    auto loop = std::make_shared<CoreSelectorEventLoop>(std::move(counting));
    loop->call_later(0.0003, [&] { loop->stop(); });
    loop->run_forever();
    // One wait for the timeout, perhaps one more of a nanosecond if the
    // clock's double rounding lands just short of the deadline. A timeout
    // rounded down to 0 ms would spin for hundreds of waits.
    CHECK(waits.waits <= 3);
    loop->close();
  });
}

TEST_CASE("timers run in deadline order; equal deadlines in the order they were scheduled") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::string order;
    double now = loop->time();
    loop->call_at(now + 0.003, [&] {
      order += "c";
      loop->stop();
    });
    loop->call_at(now + 0.001, [&] { order += "a"; });
    loop->call_at(now + 0.002, [&] { order += "b1"; });
    loop->call_at(now + 0.002, [&] { order += "b2"; });
    loop->call_at(now + 0.002, [&] { order += "b3"; });
    loop->run_forever();
    CHECK(order == "ab1b2b3c");
    loop->close();
  });
}

TEST_CASE("TimerHandle::when() is time() + delay, for call_later(0) and negative delays too") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    for (double delay : {0.0, -5.0, 2.5}) {
      double before = loop->time();
      TimerHandle handle = loop->call_later(delay, [] {});
      double after = loop->time();
      CHECK(handle.when() >= before + delay);
      CHECK(handle.when() <= after + delay);
    }
    CHECK(loop->call_at(12.5, [] {}).when() == 12.5);
    CHECK_THROWS_AS(loop->call_at(std::nan(""), [] {}), ValueError);
    bool ran = false;
    loop->call_at(std::numeric_limits<double>::infinity(), [&] { ran = true; });
    loop->stop();
    loop->run_forever();  // past-due timers ran; the infinite one never will
    CHECK_FALSE(ran);
    loop->close();
  });
}

TEST_CASE("a timer cancelled after it was moved to the ready queue does not run") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    double now = loop->time();
    TimerHandle second;
    bool second_ran = false;
    loop->call_at(now, [&] { second.cancel(); });  // same deadline, scheduled first
    second = loop->call_at(now, [&] { second_ran = true; });
    loop->call_at(now + 0.001, [&] { loop->stop(); });
    loop->run_forever();
    CHECK_FALSE(second_ran);
    second.cancel();  // again, after it left the heap: nothing happens
    loop->close();
  });
}

// A million, except under ThreadSanitizer, which makes each of these
// single-threaded iterations some fifty times slower and has nothing to
// check in them.
#ifdef __SANITIZE_THREAD__
constexpr int kManyTimers = 100'000;
#else
constexpr int kManyTimers = 1'000'000;
#endif

TEST_CASE("a million cancelled timers do not pile up in the timer heap") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::size_t largest = 0;
    for (int i = 0; i < kManyTimers; ++i) {
      loop->call_later(3600, [] {}).cancel();
      largest = std::max(largest, loop->timer_heap_size());
    }
    CHECK(largest <= 2 * TimerQueue::kCompactionMinimum);

    // Cancelled among live timers: the heap is rebuilt whenever the dead
    // outnumber the living, and the living all still run.
    int ran = 0;
    std::vector<TimerHandle> doomed;
    double now = loop->time();
    for (int i = 0; i < 100'000; ++i) {
      if (i % 100 == 0) loop->call_at(now, [&] { ++ran; });
      doomed.push_back(loop->call_later(3600, [] {}));
    }
    for (auto& handle : doomed) handle.cancel();
    CHECK(loop->timer_heap_size() <= 2 * 1000 + TimerQueue::kCompactionMinimum);
    loop->stop();
    loop->run_forever();
    CHECK(ran == 1000);
    CHECK(loop->timer_heap_size() <= TimerQueue::kCompactionMinimum);
    loop->close();
  });
}

TEST_CASE("close() drops pending timers, even when a dropped callback cancels another timer") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    // A chain: each timer's callback holds the next timer's Handle and
    // cancels it when destroyed, so close() releases timers while it is
    // still dropping the others. Only the chain holds the Handles.
    struct CancelsNextOnDestruction {
      TimerHandle next;
      std::shared_ptr<int> destroyed;
      CancelsNextOnDestruction(TimerHandle next, std::shared_ptr<int> destroyed)
          : next(std::move(next)), destroyed(std::move(destroyed)) {}
      CancelsNextOnDestruction(CancelsNextOnDestruction&&) noexcept = default;
      ~CancelsNextOnDestruction() {
        if (!destroyed) return;  // moved from
        ++*destroyed;
        next.cancel();
      }
      void operator()() const { FAIL("a timer ran"); }
    };
    auto destroyed = std::make_shared<int>(0);
    TimerHandle next;
    for (int i = 300; i > 0; --i)
      next = loop->call_later(3600 + i, CancelsNextOnDestruction(next, destroyed));
    next = TimerHandle();
    loop->close();
    CHECK(*destroyed == 300);  // every callback released at close()
    CHECK(loop->timer_heap_size() == 0);
  });
}

TEST_CASE("call_repeatedly() calls again and again, never early, until cancelled (even by itself)") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto calls = std::make_shared<int>(0);  // a capture with a destructor
    long references_after_cancel = 0;
    TimerHandle repeating;
    repeating = loop->call_repeatedly(0.001, [&, calls] {
      CHECK(loop->time() >= repeating.when());
      if (++*calls == 3) {
        repeating.cancel();
        // This callback, captures included, lives until it returns.
        references_after_cancel = calls.use_count();
        loop->stop();
      }
    });
    loop->run_forever();
    CHECK(*calls == 3);
    CHECK(references_after_cancel == 2);
    CHECK(calls.use_count() == 1);  // then the cancelled chain let go of it
    CHECK(loop->timer_heap_size() == 0);
    CHECK_THROWS_AS(loop->call_repeatedly(0, [] {}), ValueError);
    loop->close();
  });
}

TEST_CASE("a callback may cancel its own Handle while it runs") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto witness = std::make_shared<int>(0);
    long references_after_cancel = 0;
    Handle self;
    self = loop->call_soon([&, witness] {
      self.cancel();
      // This callback, captures included, lives until it returns.
      references_after_cancel = witness.use_count();
      loop->stop();
    });
    loop->run_forever();
    CHECK(references_after_cancel == 2);
    CHECK(witness.use_count() == 1);  // then it is released
    loop->close();
  });
}
