// Signal handlers (LOOP-SIGNAL-*), on every poller. A binary of its own:
// signal dispositions belong to the whole process. doctest runs the cases
// on the main thread, the only one whose loop may handle signals.
#include <pthread.h>

#include <csignal>
#include <string>
#include <thread>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

namespace {
/// True if `sig` has its default disposition (SIG_DFL).
bool is_default(int sig) {
  struct sigaction current {};
  REQUIRE(::sigaction(sig, nullptr, &current) == 0);
  return current.sa_handler == SIG_DFL;
}
}  // namespace

TEST_CASE("a signal raised in a callback runs its handler later, as an ordinary callback on the loop") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::thread::id ran_on;
    bool running = false;
    loop->add_signal_handler(SIGUSR1, [&] {
      ran_on = std::this_thread::get_id();
      running = loop->is_running();
      loop->stop();
    });
    bool handled_inside_raise = false;
    loop->call_soon([&] {
      ::raise(SIGUSR1);
      handled_inside_raise = running;  // the handler has not run yet
    });
    loop->run_forever();
    CHECK_FALSE(handled_inside_raise);
    CHECK(running);
    CHECK(ran_on == std::this_thread::get_id());
    CHECK(loop->remove_signal_handler(SIGUSR1));
    loop->close();
  });
}

TEST_CASE("a signal delivered to another thread wakes the loop, and the handler runs on the loop's thread") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::thread::id ran_on;
    loop->add_signal_handler(SIGUSR2, [&] {
      ran_on = std::this_thread::get_id();
      loop->stop();
    });
    std::thread other([] { ::raise(SIGUSR2); });  // the C handler runs on `other`
    loop->run_forever();                          // blocks until the self-pipe wakes it
    other.join();
    CHECK(ran_on == std::this_thread::get_id());
    CHECK(loop->remove_signal_handler(SIGUSR2));
    loop->close();
  });
}

TEST_CASE("a signal that interrupts the loop's blocked wait (EINTR) wakes it through the self-pipe") {
#ifdef __SANITIZE_THREAD__
  // ThreadSanitizer runs a signal's handler only at the thread's next
  // intercepted libc call; pselect() and epoll_pwait2() are not
  // intercepted, so the retried wait would block before the handler writes
  // to the self-pipe. Without TSan the handler runs before the wait returns.
  MESSAGE("skipped under ThreadSanitizer (it defers signal handlers)");
  return;
#endif
  for_each_poller([](const std::string& poller) {
    auto counting = std::make_unique<CountingPoller>(make_poller(poller));
    CountingPoller& blocked = *counting;
    auto loop = std::make_shared<CoreSelectorEventLoop>(std::move(counting));
    bool handled = false;
    loop->add_signal_handler(SIGUSR1, [&] {
      handled = true;
      loop->stop();
    });
    pthread_t loop_thread = ::pthread_self();
    std::thread other([&] {
      blocked.wait_until_blocking();
      ::pthread_kill(loop_thread, SIGUSR1);  // the C handler runs on the loop's thread, inside its wait
    });
    loop->run_forever();
    other.join();
    CHECK(handled);
    CHECK(loop->remove_signal_handler(SIGUSR1));
    loop->close();
  });
}

TEST_CASE("a second add_signal_handler() replaces the first") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::string ran;
    loop->add_signal_handler(SIGUSR1, [&] { ran += "first "; });
    loop->add_signal_handler(SIGUSR1, [&] {
      ran += "second ";
      loop->stop();
    });
    loop->call_soon([] { ::raise(SIGUSR1); });
    loop->run_forever();
    CHECK(ran == "second ");
    CHECK(loop->remove_signal_handler(SIGUSR1));
    loop->close();
  });
}

TEST_CASE("remove_signal_handler() restores SIG_DFL and says whether a handler was removed") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    CHECK_FALSE(loop->remove_signal_handler(SIGUSR1));
    loop->add_signal_handler(SIGUSR1, [] {});
    CHECK_FALSE(is_default(SIGUSR1));
    CHECK(loop->remove_signal_handler(SIGUSR1));
    CHECK(is_default(SIGUSR1));
    CHECK_FALSE(loop->remove_signal_handler(SIGUSR1));
    loop->close();
  });
}

TEST_CASE("invalid and uncatchable signals give ValueError") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    for (int sig : {0, -1, 9999, NSIG, SIGKILL, SIGSTOP}) {
      CAPTURE(sig);
      CHECK_THROWS_AS(loop->add_signal_handler(sig, [] {}), ValueError);
      CHECK_THROWS_AS(loop->remove_signal_handler(sig), ValueError);
    }
    loop->close();
  });
}

TEST_CASE("signals belong to the main thread's loop: RuntimeError elsewhere") {
  for_each_poller([](const std::string& poller) {
    int refused = 0;
    std::thread([&] {
      auto loop = new_loop(poller);
      try {
        loop->add_signal_handler(SIGUSR1, [] {});
      } catch (const RuntimeError&) {
        ++refused;
      }
      try {
        loop->remove_signal_handler(SIGUSR1);
      } catch (const RuntimeError&) {
        ++refused;
      }
      loop->close();
    }).join();
    CHECK(refused == 2);
    CHECK(is_default(SIGUSR1));
  });
}

TEST_CASE("one loop at a time owns a signal; close() gives it back") {
  for_each_poller([](const std::string& poller) {
    auto owner = new_loop(poller);
    auto other = new_loop(poller);
    owner->add_signal_handler(SIGUSR1, [] {});
    CHECK_THROWS_AS(other->add_signal_handler(SIGUSR1, [] {}), RuntimeError);
    other->add_signal_handler(SIGUSR2, [] {});  // a different signal is free
    owner->close();
    CHECK(is_default(SIGUSR1));
    CHECK_FALSE(owner->remove_signal_handler(SIGUSR1));  // closed: false, no error
    CHECK_THROWS_AS(owner->add_signal_handler(SIGUSR1, [] {}), RuntimeError);

    bool handled = false;
    other->add_signal_handler(SIGUSR1, [&] {
      handled = true;
      other->stop();
    });
    other->call_soon([] { ::raise(SIGUSR1); });
    other->run_forever();
    CHECK(handled);
    other->close();
    CHECK(is_default(SIGUSR1));
    CHECK(is_default(SIGUSR2));
  });
}
