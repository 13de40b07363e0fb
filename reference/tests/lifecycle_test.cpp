// Starting, stopping and closing (LOOP-STATES .. LOOP-ISCLOSED), on every
// poller.
#include <functional>
#include <string>
#include <vector>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

TEST_CASE("run_forever() runs callbacks until stop(); is_running() is true only meanwhile") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::vector<bool> running_inside;
    CHECK_FALSE(loop->is_running());
    loop->call_soon([&] { running_inside.push_back(loop->is_running()); });
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(running_inside == std::vector<bool>{true});
    CHECK_FALSE(loop->is_running());
    loop->close();
  });
}

TEST_CASE("stop(): the batch ready before it finishes; what is scheduled after waits for the next run") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::string order;
    loop->call_soon([&] { order += "a"; });
    loop->call_soon([&] {
      order += "b";
      loop->stop();  // LOOP-STOP-RETURNS-NORMALLY: this callback goes on
      loop->call_soon([&] {
        order += "d";
        loop->stop();
      });
      order += "B";
    });
    loop->call_soon([&] { order += "c"; });
    loop->run_forever();
    CHECK(order == "abBc");
    loop->run_forever();  // LOOP-STOP-RESTARTABLE: nothing was lost
    CHECK(order == "abBcd");
    loop->close();
  });
}

TEST_CASE("a callback that reschedules itself forever cannot keep run_forever() from returning") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    int spins = 0;
    std::function<void()> spin = [&] {
      ++spins;
      loop->call_soon(spin);
    };
    loop->call_soon(spin);
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(spins == 1);  // the rescheduled spin waits for the next run
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(spins == 2);
    loop->close();
  });
}

TEST_CASE("stop() before run_forever(): the next run does one iteration and returns") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    std::string order;
    loop->call_soon([&] {
      order += "a";
      loop->call_soon([&] { order += "b"; });
    });
    loop->stop();
    loop->run_forever();
    CHECK(order == "a");
    loop->stop();
    loop->run_forever();  // one more iteration: b runs
    CHECK(order == "ab");
    loop->stop();
    loop->run_forever();  // nothing to do: returns without blocking
    CHECK(order == "ab");
    loop->close();
  });
}

TEST_CASE("no stop() survives a run that ended with an exception") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    loop->call_soon([&] { loop->stop(); });
    loop->call_soon([] { throw KeyboardInterrupt(); });
    CHECK_THROWS_AS(loop->run_forever(), KeyboardInterrupt);
    CHECK_FALSE(loop->is_running());
    // Had the stop() above survived, this run would end after one
    // iteration, before `second` runs.
    bool second = false;
    loop->call_soon([&] {
      loop->call_soon([&] {
        second = true;
        loop->stop();
      });
    });
    loop->run_forever();
    CHECK(second);
    loop->close();
  });
}

TEST_CASE("run_forever() and run_until_complete() inside a running loop raise RuntimeError") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    int raised = 0;
    loop->call_soon([&] {
      try {
        loop->run_forever();
      } catch (const RuntimeError&) {
        ++raised;
      }
      try {
        loop->run_until_complete(Future<int>(loop->create_future()));
      } catch (const RuntimeError&) {
        ++raised;
      }
      loop->stop();
    });
    loop->run_forever();
    CHECK(raised == 2);
    loop->close();
  });
}

TEST_CASE("run_until_complete() runs a coroutine as a Task and returns its result") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto answer = [](AbstractEventLoop& l) -> Coroutine<int> {
      co_await sleep(0.001, &l);
      co_await yield_now();
      co_return 42;
    };
    CHECK(loop->run_until_complete(answer(*loop)) == 42);
    CHECK_FALSE(loop->is_running());
    Future<int> failing = loop->create_future<int>();
    loop->call_soon([failing] { failing.set_exception(ValueError("no")); });
    CHECK_THROWS_AS(loop->run_until_complete(failing), ValueError);
    loop->close();
  });
}

TEST_CASE("Tasks: create_task() and a task factory run coroutines on the loop") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    int made_by_factory = 0;
    loop->set_task_factory([&](AbstractEventLoop& l, ErasedCoroutine coroutine) {
      ++made_by_factory;
      return StandardTask::start(l, std::move(coroutine));
    });
    auto add = [](AbstractEventLoop& l, int a, int b) -> Coroutine<int> {
      co_await sleep(0, &l);
      co_return a + b;
    };
    Task<int> task = loop->create_task(add(*loop, 2, 3));
    CHECK(&task.get_loop() == loop.get());
    CHECK(loop->run_until_complete(task) == 5);
    CHECK(made_by_factory == 1);
    loop->close();
  });
}

TEST_CASE("close() is idempotent, refused while running, and then the loop refuses to be used") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    bool refused = false;
    loop->call_soon([&] {
      try {
        loop->close();
      } catch (const RuntimeError&) {
        refused = true;
      }
      loop->stop();
    });
    loop->run_forever();
    CHECK(refused);
    CHECK_FALSE(loop->is_closed());
    loop->close();
    CHECK(loop->is_closed());
    loop->close();  // LOOP-CLOSE-IDEMPOTENT
    SocketPair pair;
    CHECK_THROWS_AS(loop->run_forever(), RuntimeError);
    CHECK_THROWS_AS(loop->run_until_complete(Future<int>(*loop)), RuntimeError);
    CHECK_THROWS_AS(loop->call_soon([] {}), RuntimeError);
    CHECK_THROWS_AS(loop->call_later(1, [] {}), RuntimeError);
    CHECK_THROWS_AS(loop->call_at(0, [] {}), RuntimeError);
    CHECK_THROWS_AS(loop->call_soon_threadsafe([] {}), RuntimeError);
    CHECK_THROWS_AS(loop->add_reader(pair.a, [] {}), RuntimeError);
    CHECK_THROWS_AS(loop->add_writer(pair.a, [] {}), RuntimeError);
    CHECK_THROWS_AS(loop->run_in_executor(nullptr, [] { return 1; }), RuntimeError);
    CHECK_FALSE(loop->remove_reader(pair.a));  // removal after close() never throws
    CHECK_FALSE(loop->remove_writer(pair.a));
  });
}

TEST_CASE("close() drops pending callbacks and timers") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto witness = std::make_shared<int>(0);
    loop->call_soon([witness] {});
    loop->call_later(3600, [witness] {});
    CHECK(witness.use_count() == 3);
    loop->close();
    CHECK(witness.use_count() == 1);
    CHECK(loop->timer_heap_size() == 0);
  });
}

TEST_CASE("close() releases the poller's and the waker's fds; so does destruction without close()") {
  for_each_poller([](const std::string& poller) {
    std::size_t before = open_fd_count();
    auto loop = new_loop(poller);
    CHECK(open_fd_count() > before);
    loop->close();
    CHECK(open_fd_count() == before);
    loop = new_loop(poller);
    loop->call_soon([] {});
    loop.reset();
    CHECK(open_fd_count() == before);
  });
}

namespace {
/// Runs work inline and remembers whether it was shut down.
class RecordingExecutor final : public Executor {
 public:
  void submit(UniqueFunction<void()> work) override { work(); }
  void shutdown(bool) override { shut_down = true; }
  bool shut_down = false;
};
}  // namespace

TEST_CASE("close() shuts the default executor down") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto executor = std::make_shared<RecordingExecutor>();
    loop->set_default_executor(executor);
    Future<int> result = loop->run_in_executor(nullptr, [] { return 7; });
    CHECK(loop->run_until_complete(result) == 7);
    CHECK_FALSE(executor->shut_down);
    loop->close();
    CHECK(executor->shut_down);
  });
}
