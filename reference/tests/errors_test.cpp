// Error handling and debug mode (LOOP-ERR-*, LOOP-DEBUG-*), on every poller.
#include <stdexcept>
#include <string>

#include "pep3156/pep3156.hpp"
#include "test_support.hpp"

using namespace pep3156;
using namespace pep3156::reference;
using namespace pep3156::reference::testing;

namespace {
bool mentions(const ExceptionContext& context, const std::string& text) {
  return context.message.find(text) != std::string::npos;
}
}  // namespace

TEST_CASE("an exception from a callback reaches the exception handler with its Handle; the loop goes on") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto errors = record_errors(*loop);
    bool later_ran = false;
    Handle failing = loop->call_soon([] { throw std::logic_error("boom"); });
    loop->call_later(0, [] { throw ValueError("timer boom"); });
    loop->call_soon([&] { later_ran = true; });
    loop->call_later(0.001, [&] { loop->stop(); });
    loop->run_forever();
    CHECK(later_ran);
    REQUIRE(errors->size() == 2);
    const ExceptionContext& first = (*errors)[0];
    CHECK(first.handle == failing);
    CHECK_FALSE(first.message.empty());
    CHECK_THROWS_AS(std::rethrow_exception(first.exception), std::logic_error);
    CHECK_THROWS_AS(std::rethrow_exception((*errors)[1].exception), ValueError);
    loop->close();
  });
}

TEST_CASE("without a handler, errors go to the default handler and the loop goes on") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    CHECK_FALSE(loop->get_exception_handler());
    bool later_ran = false;
    loop->call_soon([] { throw std::runtime_error("reported on stderr (expected by this test)"); });
    loop->call_soon([&] {
      later_ran = true;
      loop->stop();
    });
    loop->run_forever();
    CHECK(later_ran);
    loop->close();
  });
}

TEST_CASE("a BaseException propagates out of run_forever(); the loop is stopped, restartable, nothing lost") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto errors = record_errors(*loop);
    std::string order;
    loop->call_soon([&] { order += "a"; });
    loop->call_soon([] { throw SystemExit(3); });
    loop->call_soon([&] { order += "c"; });
    try {
      loop->run_forever();
      FAIL("run_forever() swallowed a BaseException");
    } catch (const SystemExit& exit) {
      CHECK(exit.code() == 3);
    }
    CHECK(errors->empty());  // not the exception handler's business
    CHECK_FALSE(loop->is_running());
    CHECK(order == "a");
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(order == "ac");  // the rest of the batch ran in the next run
    loop->close();
  });
}

TEST_CASE("a BaseException out of a Task ends run_until_complete() with it") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto interrupted = [](AbstractEventLoop& l) -> Coroutine<int> {
      co_await sleep(0, &l);
      throw KeyboardInterrupt();
    };
    Task<int> task = loop->create_task(interrupted(*loop));
    CHECK_THROWS_AS(loop->run_until_complete(task), KeyboardInterrupt);
    CHECK_FALSE(loop->is_running());
    REQUIRE(task.done());  // the Task recorded it before it propagated
    CHECK_THROWS_AS(std::rethrow_exception(task.exception()), KeyboardInterrupt);
    loop->close();
  });
}

TEST_CASE("debug mode reports callbacks slower than slow_callback_duration") {
  for_each_poller([](const std::string& poller) {
    auto loop = new_loop(poller);
    auto errors = record_errors(*loop);
    loop->slow_callback_duration = 0;  // every callback is "slow"
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(errors->empty());  // release mode: no timing, no reports

    loop->set_debug(true);
    Handle handle = loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    REQUIRE(errors->size() == 1);
    CHECK(mentions((*errors)[0], "took"));
    CHECK((*errors)[0].handle == handle);
    CHECK((*errors)[0].exception == nullptr);

    errors->clear();
    loop->slow_callback_duration = 3600;
    loop->call_soon([&] { loop->stop(); });
    loop->run_forever();
    CHECK(errors->empty());
    loop->close();
  });
}

TEST_CASE("debug mode reports a loop destroyed without close()") {
  for_each_poller([](const std::string& poller) {
    std::shared_ptr<std::vector<ExceptionContext>> errors;
    {
      auto quiet = new_loop(poller);
      errors = record_errors(*quiet);
    }
    CHECK(errors->empty());  // release mode says nothing (and still closes)
    {
      auto forgotten = new_loop(poller);
      forgotten->set_debug(true);
      errors = record_errors(*forgotten);
    }
    REQUIRE(errors->size() == 1);
    CHECK(mentions((*errors)[0], "unclosed event loop"));
    {
      auto closed = new_loop(poller);
      closed->set_debug(true);
      errors = record_errors(*closed);
      closed->close();
    }
    CHECK(errors->empty());
  });
}
