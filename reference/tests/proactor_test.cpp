// CoreProactorEventLoop on every proactor this build offers (io_uring):
// the behaviour the selector loop's tests check, reached through
// completions. Where the kernel refuses io_uring (a container may), each
// test prints why and ctest counts the binary as skipped
// (SKIP_REGULAR_EXPRESSION in CMakeLists.txt).
#include <cerrno>
#include <cstdio>
#include <thread>

#include "pep3156/pep3156.hpp"
#include "reference/core_proactor_event_loop.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

namespace {

/// A fresh loop on each proactor here, in a SUBCASE named after it; none
/// (and the reason printed) where the kernel refuses it.
template <class Body>
void for_each_proactor(Body&& body) {
  for (const std::string& name : available_proactors()) {
    SUBCASE(name.c_str()) {
      std::shared_ptr<CoreProactorEventLoop> loop;
      try {
        loop = std::make_shared<CoreProactorEventLoop>(make_proactor(name));
      } catch (const std::system_error& refused) {
        std::printf("proactor unavailable: %s\n", refused.what());
        return;
      }
      body(*loop);
      loop->close();
    }
  }
}

}  // namespace

TEST_CASE("a reader runs on every iteration while its fd stays readable, and stops once removed") {
  for_each_proactor([](CoreProactorEventLoop& loop) {
    SocketPair pair;
    int calls = 0;
    loop.add_reader(pair.a, [&] {
      if (++calls == 3) loop.stop();  // never reads: the fd stays readable
    });
    pair.send_to_a();
    loop.run_forever();
    CHECK(calls == 3);
    CHECK(loop.remove_reader(pair.a));
    CHECK_FALSE(loop.remove_reader(pair.a));
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    CHECK(calls == 3);
  });
}

TEST_CASE("a writer runs while its fd has room; a second add_writer() replaces the first") {
  for_each_proactor([](CoreProactorEventLoop& loop) {
    SocketPair pair;
    bool replaced_ran = false;
    int calls = 0;
    loop.add_writer(pair.a, [&] { replaced_ran = true; });
    loop.add_writer(pair.a, [&] {
      if (++calls == 2) loop.stop();
    });
    loop.run_forever();
    CHECK_FALSE(replaced_ran);  // LOOP-IO-ADD-REPLACES
    CHECK(calls == 2);
    CHECK(loop.remove_writer(pair.a));
  });
}

TEST_CASE("an fd closed before its poll reaches the kernel is dropped and reported") {
  for_each_proactor([](CoreProactorEventLoop& loop) {
    auto errors = record_errors(loop);
    SocketPair pair;
    int closed = pair.a;
    loop.add_reader(closed, [] { FAIL("a closed fd's reader ran"); });
    pair.close_a();
    loop.call_later(0.05, [&] { loop.stop(); });
    loop.run_forever();
    REQUIRE(errors->size() == 1);
    CHECK(errors->front().socket == closed);
    CHECK_FALSE(loop.remove_reader(closed));
  });
}

TEST_CASE("a timer shorter than a millisecond never runs early") {
  for_each_proactor([](CoreProactorEventLoop& loop) {
    double when = loop.time() + 0.0003;
    double ran_at = 0;
    loop.call_at(when, [&] {
      ran_at = loop.time();
      loop.stop();
    });
    loop.run_forever();
    CHECK(ran_at >= when);
  });
}

TEST_CASE("call_soon_threadsafe() wakes a loop blocked waiting for completions") {
  for_each_proactor([](CoreProactorEventLoop& loop) {
    // The loop has nothing to do but wait: only the post can end the run.
    std::thread poster([&] { loop.call_soon_threadsafe([&] { loop.stop(); }); });
    loop.run_forever();
    poster.join();
  });
}

TEST_CASE("close() with polls in flight releases every fd the loop opened") {
  std::size_t before = open_fd_count();
  for_each_proactor([](CoreProactorEventLoop& loop) {
    SocketPair pair;
    loop.add_reader(pair.a, [] {});
    loop.add_writer(pair.b, [] {});
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
  });
  CHECK(open_fd_count() == before);
}
