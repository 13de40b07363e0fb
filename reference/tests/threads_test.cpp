// Thread interaction (LOOP-THREADSAFE-*, LOOP-EXECUTOR-*,
// LOOP-SET-DEFAULT-EXECUTOR, FUT-WRAP-FUTURE), on every poller. Threads
// synchronise through the loop itself and condition variables, never by
// sleeping.
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

TEST_CASE("call_soon_threadsafe() from several threads: every callback runs once, each thread's in order") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    constexpr int kThreads = 4;
    constexpr int kPosts = 2000;
    std::map<int, std::vector<int>> received;  // touched by the loop's thread only
    int total = 0;
    std::atomic<int> empty_handles{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPosts; ++i) {
          Handle handle = loop->call_soon_threadsafe([&, t, i] {
            received[t].push_back(i);
            if (++total == kThreads * kPosts) loop->stop();
          });
          if (!handle) ++empty_handles;  // LOOP-THREADSAFE-HANDLE
        }
      });
    }
    loop->run_forever();
    for (auto& thread : threads) thread.join();
    CHECK(empty_handles == 0);
    REQUIRE(received.size() == kThreads);
    for (auto& [t, sequence] : received) {
      REQUIRE(sequence.size() == kPosts);
      for (int i = 0; i < kPosts; ++i) CHECK(sequence[i] == i);
    }
    loop->close();
  });
}

TEST_CASE("call_soon_threadsafe() wakes a loop blocked waiting for I/O with no timer to end the wait") {
  for_each_poller([](const std::string& poller) {
    auto counting = std::make_unique<CountingPoller>(make_poller(poller));
    CountingPoller& blocked = *counting;
    auto loop = std::make_shared<CoreSelectorEventLoop>(std::move(counting));
    std::thread poster([&] {
      blocked.wait_until_blocking();
      loop->call_soon_threadsafe([&] { loop->stop(); });
    });
    loop->run_forever();  // blocks: nothing is ready and there is no timer
    poster.join();
    loop->close();
  });
}

TEST_CASE("call_soon_threadsafe() in lock-step with the loop: no wake-up is lost, whenever the post lands") {
  // Each post is made as soon as the previous one has run, so posts land
  // in every state of the loop: asleep, running the last post, or between
  // taking the posts and draining the waker in the next iteration
  // (LOOP-THREADSAFE-WAKEUP).
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    constexpr int kRounds = 10'000;
    constexpr int kAbandoned = -1;
    std::atomic<int> ran{0};  // the last round that ran
    std::thread poster([&] {
      for (int round = 1; round <= kRounds; ++round) {
        loop->call_soon_threadsafe([&, round] {
          ran.store(round);
          ran.notify_one();
          if (round == kRounds) loop->stop();
        });
        int seen;
        while ((seen = ran.load()) != round) {
          if (seen == kAbandoned) return;
          ran.wait(seen);
        }
      }
    });
    bool timed_out = false;
    auto watchdog = loop->call_later(60, [&] {  // a lost wake-up would block forever
      timed_out = true;
      ran.store(kAbandoned);
      ran.notify_one();
      loop->stop();
    });
    loop->run_forever();
    watchdog.cancel();
    poster.join();
    CHECK_FALSE(timed_out);
    CHECK(ran.load() == kRounds);
    loop->close();
  });
}

TEST_CASE("call_soon_threadsafe() on a closed loop raises RuntimeError, from any thread") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    loop->close();
    bool raised = false;
    std::thread([&] {
      try {
        loop->call_soon_threadsafe([] {});
      } catch (const RuntimeError&) {
        raised = true;
      }
    }).join();
    CHECK(raised);
  });
}

TEST_CASE("close() right after a run while other threads post: each post runs, is dropped or is refused") {
  // call_soon_threadsafe() wakes the loop after releasing its mutex; close()
  // must still not release the waker while a poster is writing to it. The
  // loop takes the posts while it runs, so posters keep writing wake-ups
  // up to the moment close() runs (a ThreadSanitizer build reports a
  // close()/write() race on the waker's fd).
  for_each_poller([](const std::string& poller) {
    constexpr int kRounds = 20;
    constexpr int kThreads = 2;
    for (int round = 0; round < kRounds; ++round) {
      auto loop = new_loop(poller);
      std::atomic<int> refused{0};
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
          try {
            for (;;) loop->call_soon_threadsafe([] {});
          } catch (const RuntimeError&) {
            ++refused;  // the loop is closed
          }
        });
      }
      int runs = 0;
      loop->call_soon_threadsafe([&] { loop->stop(); });  // among the posts, after a few iterations
      loop->call_soon([&] { ++runs; });
      loop->run_forever();
      loop->close();
      for (auto& thread : threads) thread.join();
      CHECK(runs == 1);
      CHECK(refused == kThreads);
    }
  });
}

TEST_CASE("run_in_executor() resolves a Future on the loop with the work's result or exception") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::thread::id loop_thread = std::this_thread::get_id();
    Future<std::thread::id> worker =
        loop->run_in_executor(nullptr, [] { return std::this_thread::get_id(); });
    CHECK(loop->run_until_complete(worker) != loop_thread);
    Future<int> failing = loop->run_in_executor(nullptr, []() -> int { throw std::range_error("worker"); });
    CHECK_THROWS_AS(loop->run_until_complete(failing), std::range_error);
    // Several at once: the loop waits for all of them.
    std::vector<Future<int>> squares;
    for (int i = 0; i < 10; ++i) squares.push_back(loop->run_in_executor(nullptr, [i] { return i * i; }));
    for (int i = 0; i < 10; ++i) CHECK(loop->run_until_complete(squares[i]) == i * i);
    loop->close();
  });
}

TEST_CASE("set_default_executor() chooses where run_in_executor(nullptr, ...) runs") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto single = std::make_shared<ThreadPoolExecutor>(1);
    loop->set_default_executor(single);
    Future<std::thread::id> first = loop->run_in_executor(nullptr, [] { return std::this_thread::get_id(); });
    Future<std::thread::id> second = loop->run_in_executor(single, [] { return std::this_thread::get_id(); });
    CHECK(loop->run_until_complete(first) == loop->run_until_complete(second));
    loop->close();
  });
}

TEST_CASE("wrap_future() turns a std::future into a loop Future") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::promise<std::string> promise;
    Future<std::string> wrapped = loop->wrap_future(promise.get_future());
    std::thread producer([&] { promise.set_value("from another thread"); });
    CHECK(loop->run_until_complete(wrapped) == "from another thread");
    producer.join();
    loop->close();
  });
}

TEST_CASE("debug mode: call_soon() and call_at() from another thread raise RuntimeError") {
  for_each_poller([](const std::string& poller) {
    auto counting = std::make_unique<CountingPoller>(make_poller(poller));
    CountingPoller& blocked = *counting;
    auto loop = std::make_shared<CoreSelectorEventLoop>(std::move(counting));
    loop->set_debug(true);
    int refused = 0;
    std::thread intruder([&] {
      blocked.wait_until_blocking();  // the loop runs on the main thread now
      try {
        loop->call_soon([] {});
      } catch (const RuntimeError&) {
        ++refused;
      }
      try {
        loop->call_later(1, [] {});
      } catch (const RuntimeError&) {
        ++refused;
      }
      loop->call_soon_threadsafe([&] { loop->stop(); });
    });
    loop->run_forever();
    intruder.join();
    CHECK(refused == 2);
    loop->close();
  });
}
