// StandardTask and Task<T>: results, cancellation, current_task, all_tasks,
// ownership (clauses TASK-*, LOOP-CREATE-TASK, LOOP-TASK-FACTORY).
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_loop.hpp"
#include "test_support.hpp"

using namespace pep3156;
using pep3156::testing::DestroyFlag;
using pep3156::testing::TestLoop;

namespace {
Coroutine<int> wait_for_future(Future<int> f) { co_return co_await f; }

Coroutine<int> nested_wait(Future<int> f, std::vector<std::string>& trace) {
  try {
    co_return co_await wait_for_future(f);
  } catch (const CancelledError&) {
    trace.push_back("inner saw CancelledError");
    throw;
  }
}
}  // namespace

TEST_CASE("TASK-IS-FUTURE TASK-RESULT-FROM-COROUTINE: the Task takes its coroutine's result") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<int> { co_return 3; };
  Task<int> task = loop->create_task(coroutine());
  Future<int> as_future = task;  // a Task is a Future
  CHECK_FALSE(as_future.done());
  loop->run_ready();
  CHECK(as_future.done());
  CHECK(as_future.result() == 3);
  CHECK(as_future.exception() == nullptr);
}

TEST_CASE("TASK-RESULT-FROM-COROUTINE: the Task takes its coroutine's exception") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<int> {
    throw std::runtime_error("coroutine failed");
    co_return 0;
  };
  Task<int> task = loop->create_task(coroutine());
  loop->run_ready();
  CHECK(task.done());
  CHECK_FALSE(task.cancelled());
  CHECK_THROWS_WITH_AS(task.result(), "coroutine failed", std::runtime_error);
}

TEST_CASE("TASK-CALLBACKS: done-callbacks on a Task run after it completes") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<int> { co_return 8; };
  Task<int> task = loop->create_task(coroutine());
  int seen = 0;
  task.add_done_callback([&](Future<int> done) { seen = done.result(); });
  loop->run_ready();
  CHECK(seen == 8);
}

TEST_CASE("TASK-CANCEL-PROPAGATES: a Task cancelled before its first step never runs its body") {
  auto loop = TestLoop::create();
  bool ran = false;
  auto destroyed = std::make_shared<bool>(false);
  auto coroutine = [](bool& ran, DestroyFlag) -> Coroutine<int> {
    ran = true;
    co_return 1;
  };
  Task<int> task = loop->create_task(coroutine(ran, DestroyFlag{destroyed}));
  CHECK(task.cancel());
  CHECK_FALSE(task.cancelled());  // a Task's cancellation is a request, delivered by its next step
  loop->run_ready();
  CHECK_FALSE(ran);
  CHECK(*destroyed);  // the frame is released at once
  CHECK(task.cancelled());
  CHECK_THROWS_AS(task.result(), CancelledError);
  CHECK(all_tasks(loop.get()).empty());
}

TEST_CASE("TASK-CANCEL-THROWS TASK-CANCEL-PROPAGATES: cancel while awaiting a Future") {
  auto loop = TestLoop::create();
  Future<int> awaited(loop->create_future());
  std::vector<std::string> trace;
  auto coroutine = [](Future<int> f, std::vector<std::string>& trace) -> Coroutine<int> {
    try {
      co_return co_await f;
    } catch (const CancelledError&) {
      trace.push_back("CancelledError at the suspension point");
      throw;
    }
  };
  Task<int> task = loop->create_task(coroutine(awaited, trace));
  loop->run_ready();
  CHECK(task.cancel());
  CHECK(awaited.cancelled());  // the awaited Future is cancelled with the Task
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"CancelledError at the suspension point"});
  CHECK(task.cancelled());
  CHECK_FALSE(task.cancel());  // FUT-CANCEL-DONE-RETURNS-FALSE
}

TEST_CASE("TASK-CANCEL-THROWS: cancel while awaiting a coroutine that awaits a Future") {
  auto loop = TestLoop::create();
  Future<int> awaited(loop->create_future());
  std::vector<std::string> trace;
  Task<int> task = loop->create_task(nested_wait(awaited, trace));
  loop->run_ready();
  task.cancel();
  loop->run_ready();
  CHECK(awaited.cancelled());
  CHECK(trace == std::vector<std::string>{"inner saw CancelledError"});
  CHECK(task.cancelled());
}

TEST_CASE("TASK-CANCEL-THROWS SLEEP: cancel while in sleep() cancels the timer too") {
  auto loop = TestLoop::create();
  double start = loop->time();
  auto coroutine = []() -> Coroutine<void> { co_await sleep(100.0); };
  Task<void> task = loop->create_task(coroutine());
  loop->run_ready();
  task.cancel();
  loop->run_ready();
  CHECK(task.cancelled());
  // No timer is left behind: the loop, run until idle, does not jump to it.
  loop->call_later(1, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(loop->time() == start + 1);
}

TEST_CASE("TASK-CANCEL-THROWS: cancel during yield_now() or sleep(0)") {
  auto loop = TestLoop::create();
  bool after = false;
  auto coroutine = [](bool& after, bool use_sleep) -> Coroutine<void> {
    if (use_sleep) {
      co_await sleep(0.0);
    } else {
      co_await yield_now();
    }
    after = true;
  };
  bool use_sleep = false;
  SUBCASE("yield_now") { use_sleep = false; }
  SUBCASE("sleep(0)") { use_sleep = true; }
  Task<void> task = loop->create_task(coroutine(after, use_sleep));
  loop->call_soon([&] { CHECK(task.cancel()); });  // runs after the first step
  loop->run_ready();
  CHECK_FALSE(after);
  CHECK(task.cancelled());
}

TEST_CASE("TASK-CANCEL-THROWS: a Task cancelling itself gets CancelledError at its next suspension point") {
  auto loop = TestLoop::create();
  Future<int> awaited(loop->create_future());
  std::vector<std::string> trace;
  auto coroutine = [](Future<int> f, std::vector<std::string>& trace) -> Coroutine<void> {
    FuturePtr me = current_task(&co_await this_loop());
    CHECK(me->cancel());
    trace.push_back("still running after cancel()");
    try {
      co_await f;
    } catch (const CancelledError&) {
      trace.push_back("CancelledError");
      throw;
    }
  };
  Task<void> task = loop->create_task(coroutine(awaited, trace));
  loop->run_ready();
  CHECK(trace == std::vector<std::string>{"still running after cancel()", "CancelledError"});
  CHECK(task.cancelled());
}

TEST_CASE("TASK-CANCEL-SUPPRESSIBLE: a coroutine may catch CancelledError and return normally") {
  auto loop = TestLoop::create();
  Future<int> awaited(loop->create_future());
  auto coroutine = [](Future<int> f) -> Coroutine<int> {
    try {
      co_await f;
    } catch (const CancelledError&) {
      co_return -1;
    }
    co_return 0;
  };
  Task<int> task = loop->create_task(coroutine(awaited));
  loop->run_ready();
  CHECK(task.cancel());  // True: the request was made
  loop->run_ready();
  CHECK(task.done());
  CHECK_FALSE(task.cancelled());
  CHECK(task.result() == -1);
}

TEST_CASE("TASK-CANCEL-SUPPRESSIBLE: a coroutine that caught CancelledError can await again") {
  auto loop = TestLoop::create();
  Future<int> first(loop->create_future());
  Future<int> second(loop->create_future());
  auto coroutine = [](Future<int> first, Future<int> second) -> Coroutine<int> {
    try {
      co_await first;
    } catch (const CancelledError&) {
    }
    co_return co_await second;
  };
  Task<int> task = loop->create_task(coroutine(first, second));
  loop->run_ready();
  task.cancel();
  loop->run_ready();
  CHECK_FALSE(task.done());
  CHECK_FALSE(second.cancelled());  // the cancellation was consumed
  second.set_result(12);
  loop->run_ready();
  CHECK(task.result() == 12);
}

TEST_CASE("TASK-CANCEL-THROWS: cancel after the awaited Future completed but before the Task resumed") {
  auto loop = TestLoop::create();
  Future<int> awaited(loop->create_future());
  Task<int> task = loop->create_task(wait_for_future(awaited));
  loop->run_ready();
  awaited.set_result(1);  // the Task's wake-up is scheduled, not run
  CHECK(task.cancel());
  loop->run_ready();
  CHECK(task.cancelled());
}

TEST_CASE("FUT-CANCEL-DONE-RETURNS-FALSE: cancel of a done Task returns False") {
  auto loop = TestLoop::create();
  auto coroutine = []() -> Coroutine<int> { co_return 1; };
  Task<int> task = loop->create_task(coroutine());
  loop->run_ready();
  CHECK_FALSE(task.cancel());
  CHECK(task.result() == 1);
}

TEST_CASE("TASK-CURRENT-TASK: current_task() is the enclosing Task, in nested coroutines too") {
  auto loop = TestLoop::create();
  // Raw pointers: a Task whose result held a reference to itself would
  // never be released.
  struct Probe {
    static Coroutine<FutureBase*> inner() { co_return current_task(&co_await this_loop()).get(); }
    static Coroutine<std::pair<FutureBase*, FutureBase*>> outer() {
      FutureBase* here = current_task(&co_await this_loop()).get();
      co_await yield_now();
      FutureBase* nested = co_await inner();
      co_return std::make_pair(here, nested);
    }
  };
  Task<std::pair<FutureBase*, FutureBase*>> task = loop->create_task(Probe::outer());
  FuturePtr in_callback = task.state();
  loop->call_soon([&] { in_callback = current_task(loop.get()); });
  auto [here, nested] = loop->run_until_complete(task);
  CHECK(here == task.state().get());
  CHECK(nested == task.state().get());
  CHECK(in_callback == nullptr);  // outside a coroutine: None
  CHECK(current_task(loop.get()) == nullptr);
}

TEST_CASE("TASK-ALL-TASKS: all_tasks() lists the pending Tasks") {
  auto loop = TestLoop::create();
  Future<int> gate(loop->create_future());
  Task<int> a = loop->create_task(wait_for_future(gate));
  Task<int> b = loop->create_task(wait_for_future(gate));
  auto quick = []() -> Coroutine<int> { co_return 0; };
  Task<int> c = loop->create_task(quick());
  CHECK(all_tasks(loop.get()).size() == 3);
  loop->run_ready();
  auto pending = all_tasks(loop.get());
  CHECK(pending.size() == 2);
  CHECK(std::find(pending.begin(), pending.end(), a.state()) != pending.end());
  CHECK(std::find(pending.begin(), pending.end(), b.state()) != pending.end());
  gate.set_result(1);
  loop->run_ready();
  CHECK(all_tasks(loop.get()).empty());
}

TEST_CASE("the loop keeps a Task nobody references running to completion") {
  auto loop = TestLoop::create();
  int result = 0;
  auto coroutine = [](int& result) -> Coroutine<void> {
    co_await sleep(1.0);
    co_await yield_now();
    result = 5;
  };
  loop->create_task(coroutine(result));  // the Task handle is dropped at once
  loop->call_later(2, [&] { loop->stop(); });
  loop->run_forever();
  CHECK(result == 5);
}

TEST_CASE("a pending Task is released with its loop, frame and all") {
  auto destroyed = std::make_shared<bool>(false);
  auto coroutine = [](Future<int> never, DestroyFlag) -> Coroutine<int> { co_return co_await never; };
  {
    auto loop = TestLoop::create();
    Future<int> never(loop->create_future());
    loop->create_task(coroutine(never, DestroyFlag{destroyed}));
    loop->run_ready();
    CHECK_FALSE(*destroyed);
  }
  CHECK(*destroyed);  // and LeakSanitizer sees nothing left
}

TEST_CASE("a pending Task held by the user still releases its frame when the loop is destroyed") {
  auto destroyed = std::make_shared<bool>(false);
  auto coroutine = [](Future<int> never, DestroyFlag) -> Coroutine<int> { co_return co_await never; };
  Task<int> kept;
  {
    auto loop = TestLoop::create();
    kept = loop->create_task(coroutine(Future<int>(loop->create_future()), DestroyFlag{destroyed}));
    loop->run_ready();
  }
  // The frame's locals were destroyed while the loop was still whole.
  CHECK(*destroyed);
  kept = Task<int>();
}

TEST_CASE("LOOP-CREATE-TASK: create_task on a closed loop raises RuntimeError") {
  auto loop = TestLoop::create();
  loop->close();
  auto coroutine = []() -> Coroutine<int> { co_return 1; };
  CHECK_THROWS_AS(loop->create_task(coroutine()), RuntimeError);
}

TEST_CASE("LOOP-TASK-FACTORY: set_task_factory replaces the Task; null restores StandardTask") {
  auto loop = TestLoop::create();
  CHECK_FALSE(loop->get_task_factory());
  int made = 0;
  loop->set_task_factory([&made](AbstractEventLoop& l, ErasedCoroutine coroutine) -> FuturePtr {
    ++made;
    return StandardTask::start(l, std::move(coroutine));
  });
  CHECK(loop->get_task_factory());
  auto coroutine = []() -> Coroutine<int> { co_return 4; };
  CHECK(loop->run_until_complete(coroutine()) == 4);
  CHECK(made == 1);
  loop->set_task_factory(nullptr);
  CHECK_FALSE(loop->get_task_factory());
  CHECK(loop->run_until_complete(coroutine()) == 4);
  CHECK(made == 1);
}

TEST_CASE("LOOP-CREATE-FUTURE: create_future returns a pending Future bound to the loop") {
  auto loop = TestLoop::create();
  FuturePtr f = loop->create_future();
  CHECK_FALSE(f->done());
  CHECK(&f->get_loop() == loop.get());
}

TEST_CASE(
    "POLICY-LOOP-KWARG: inside a Task, the helpers given no loop use the Task's loop (decision D-POLICY-3)") {
  // No current loop in the policy: get_event_loop() would raise.
  set_event_loop_policy(nullptr);
  set_event_loop(nullptr);
  auto loop = TestLoop::create();
  auto child = []() -> Coroutine<int> { co_return 1; };
  auto coroutine = [](auto child) -> Coroutine<bool> {
    AbstractEventLoop& mine = co_await this_loop();
    bool same = current_task() != nullptr && all_tasks().size() == 1;
    Future<int> wrapped = ensure_future<int>(child());
    same = same && &wrapped.get_loop() == &mine;
    std::vector<Awaitable<int>> both{wrapped, child()};  // g++ 12: no braced list in a co_await
    std::vector<int> results = co_await gather(std::move(both));
    same = same && results == std::vector<int>{1, 1};
    Future<int> shielded = shield<int>(child());
    same = same && &shielded.get_loop() == &mine && co_await shielded == 1;
    co_return same;
  };
  CHECK(loop->run_until_complete(coroutine(child)));
  CHECK_THROWS_AS(current_task(), RuntimeError);  // outside a Task: get_event_loop()
  set_event_loop_policy(nullptr);
}

TEST_CASE("a Task may run another loop to completion; default_loop() follows the running Task") {
  auto outer_loop = TestLoop::create();
  auto inner_loop = TestLoop::create();
  auto inner = []() -> Coroutine<AbstractEventLoop*> {
    co_await yield_now();
    co_return &default_loop();
  };
  auto outer = [](TestLoop& other,
                  auto inner) -> Coroutine<std::pair<AbstractEventLoop*, AbstractEventLoop*>> {
    AbstractEventLoop* seen_inside = other.run_until_complete(inner());
    co_return std::make_pair(seen_inside, &default_loop());
  };
  auto [inside, after] = outer_loop->run_until_complete(outer(*inner_loop, inner));
  CHECK(inside == inner_loop.get());
  CHECK(after == outer_loop.get());
}
