// run_in_executor(), set_default_executor() and wrap_future() (PEP 3156,
// "Thread interaction"; decisions D-THR-2, D-THR-3, D-CB-4): work runs on
// an executor's thread and its outcome comes back as a Future of the loop.
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::RecordingExecutor;

LOOPCERT_CASE("threads.run_in_executor.arguments_by_value",
              clauses("LOOP-EXECUTOR-RESULT", "TIER-CALLBACK-POSITIONAL-ARGS")) {
  // run_in_executor(executor, fn, *args): fn(*args), with the arguments
  // bound when the call is made (decision D-CB-4).
  auto loop = ctx.new_loop();
  std::string text = "abc";
  int number = 42;
  Future<std::string> joined = loop->run_in_executor(
      nullptr, [](const std::string& s, int n) { return s + "/" + std::to_string(n); }, text, number);
  text = "changed";
  number = 0;
  CHECK_EQUAL(ctx.run_until_complete(*loop, joined, "run_in_executor() with two arguments"),
              std::string("abc/42"), "the function is called with the arguments given, as they were then");
  Future<void> nothing = loop->run_in_executor(nullptr, [] {});
  ctx.run_until_complete(*loop, nothing, "run_in_executor() of a function returning nothing");
  CHECK_THAT(nothing.done() && !nothing.exception(),
             "a function returning nothing gives a Future with no error");
}

LOOPCERT_CASE("threads.run_in_executor.lazy_default_on_another_thread",
              clauses("LOOP-EXECUTOR-LAZY-DEFAULT")) {
  // With no default executor set, run_in_executor(None, ...) creates one:
  // the work runs on a thread other than the loop's, and a second call
  // works as well.
  auto loop = ctx.new_loop();
  auto loop_thread = std::this_thread::get_id();
  for (int call = 0; call < 2; ++call) {
    Future<bool> elsewhere =
        loop->run_in_executor(nullptr, [loop_thread] { return std::this_thread::get_id() != loop_thread; });
    CHECK_THAT(ctx.run_until_complete(*loop, elsewhere, "run_in_executor() on the default executor"),
               "run_in_executor(None, ...) runs the function on another thread");
  }
}

LOOPCERT_CASE("threads.run_in_executor.given_executor", clauses("LOOP-EXECUTOR-RESULT")) {
  auto loop = ctx.new_loop();
  auto executor = std::make_shared<RecordingExecutor>();
  Future<int> answer = loop->run_in_executor(executor, [] { return 7; });
  CHECK_EQUAL(ctx.run_until_complete(*loop, answer, "run_in_executor() on a given executor"), 7,
              "run_in_executor(executor, ...) returns the function's result");
  CHECK_EQUAL(executor->submitted.load(), 1, "the work went to the executor given");
  executor->shutdown(true);
}

LOOPCERT_CASE("threads.set_default_executor.is_used",
              clauses("LOOP-EXECUTOR-DEFAULT", "LOOP-SET-DEFAULT-EXECUTOR")) {
  auto loop = ctx.new_loop();
  auto first = std::make_shared<RecordingExecutor>();
  auto second = std::make_shared<RecordingExecutor>();
  loop->set_default_executor(first);
  Future<int> one = loop->run_in_executor(nullptr, [] { return 1; });
  CHECK_EQUAL(ctx.run_until_complete(*loop, one, "run_in_executor() on the default executor"), 1,
              "run_in_executor(None, ...) returns the function's result");
  loop->set_default_executor(second);
  Future<int> two = loop->run_in_executor(nullptr, [] { return 2; });
  ctx.run_until_complete(*loop, two, "run_in_executor() on the replaced default executor");
  CHECK_EQUAL(first->submitted.load(), 1, "run_in_executor(None, ...) uses the executor set as default");
  CHECK_EQUAL(second->submitted.load(), 1, "set_default_executor() again replaces the default");
  first->shutdown(true);
}

LOOPCERT_CASE("threads.set_default_executor.none_resets",
              clauses("LOOP-SET-DEFAULT-EXECUTOR", "LOOP-EXECUTOR-LAZY-DEFAULT")) {
  // set_default_executor(None): the next run_in_executor(None, ...) makes a
  // new default executor instead of using the one set before.
  auto loop = ctx.new_loop();
  auto set = std::make_shared<RecordingExecutor>();
  loop->set_default_executor(set);
  loop->set_default_executor(nullptr);
  Future<int> answer = loop->run_in_executor(nullptr, [] { return 3; });
  CHECK_EQUAL(ctx.run_until_complete(*loop, answer, "run_in_executor() after set_default_executor(None)"), 3,
              "run_in_executor(None, ...) works after set_default_executor(None)");
  CHECK_EQUAL(set->submitted.load(), 0, "the executor set before set_default_executor(None) is not used");
  set->shutdown(true);
}

LOOPCERT_CASE("threads.run_in_executor.many_jobs", clauses("LOOP-EXECUTOR-RESULT")) {
  // Twenty jobs at once, some failing: each Future gets its own job's
  // outcome.
  constexpr int kJobs = 20;
  auto loop = ctx.new_loop();
  std::vector<Future<int>> jobs;
  for (int i = 0; i < kJobs; ++i) {
    jobs.push_back(loop->run_in_executor(nullptr, [i]() -> int {
      if (i % 5 == 4) throw std::out_of_range("job " + std::to_string(i));
      return i * i;
    }));
  }
  conformance::stop_when(*loop, [&] {
    for (const auto& job : jobs)
      if (!job.done()) return false;
    return true;
  });
  ctx.run_forever(*loop, "twenty jobs in the default executor");
  int wrong = 0;
  for (int i = 0; i < kJobs; ++i) {
    if (i % 5 == 4) {
      wrong += conformance::exception_what(jobs[i].exception()) != "job " + std::to_string(i);
    } else {
      wrong += jobs[i].exception() || jobs[i].result() != i * i;
    }
  }
  CHECK_EQUAL(wrong, 0, "each Future holds its own job's result or exception");
}

LOOPCERT_CASE("threads.run_in_executor.result_wakes_the_loop",
              clauses("LOOP-EXECUTOR-RESULT", "LOOP-THREADSAFE-WAKEUP")) {
  // The job finishes only once the loop sleeps with nothing else to do: its
  // result must wake the loop.
  auto loop = ctx.new_loop();
  Future<int> late = loop->run_in_executor(nullptr, [&] {
    ctx.wait_until_loop_blocked();
    return 5;
  });
  CHECK_EQUAL(ctx.run_until_complete(*loop, late, "a job that finishes while the loop sleeps"), 5,
              "the result of a job finishing while the loop sleeps reaches its Future");
}

LOOPCERT_CASE("threads.wrap_future.result_and_exception", clauses("FUT-WRAP-FUTURE")) {
  // A std::future (PEP 3148's Future in C++, decision D-THR-3) completed by
  // another thread, wrapped by the free function and by the loop method.
  auto loop = ctx.new_loop();
  std::promise<int> value;
  std::promise<int> failure;
  Future<int> wrapped_value = wrap_future(value.get_future(), loop.get());
  Future<int> wrapped_failure = loop->wrap_future(failure.get_future().share());
  std::jthread completer([&] {
    ctx.wait_until_loop_blocked();
    value.set_value(8);
    failure.set_exception(std::make_exception_ptr(std::length_error("from the promise")));
  });
  CHECK_EQUAL(ctx.run_until_complete(*loop, wrapped_value, "a wrapped std::future"), 8,
              "wrap_future() completes with the std::future's result");
  ctx.expect_throw<std::length_error>(
      [&] { ctx.run_until_complete(*loop, wrapped_failure, "a wrapped std::shared_future that fails"); },
      "wrap_future() completes with the std::future's exception");
  conformance::join(ctx, completer, "the thread completing the promises");
}
