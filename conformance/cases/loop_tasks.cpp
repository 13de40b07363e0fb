// The loop's Futures and Tasks (PEP 3156, "Futures and Tasks" methods:
// create_future, create_task, set_task_factory, get_task_factory; decision
// D-TF-1). A loop may hand out Future and Task types of its own, as long as
// they behave as the PEP's.
#include <memory>
#include <vector>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("loop_tasks.create_task.scheduled_on_the_loop", clauses("LOOP-CREATE-TASK")) {
  // create_task() schedules the coroutine: its body does not start inside
  // create_task(), it runs once the loop runs, on that loop.
  auto loop = ctx.new_loop();
  bool started = false;
  auto body = [](bool* started, AbstractEventLoop* expected) -> Coroutine<bool> {
    *started = true;
    AbstractEventLoop& running = co_await this_loop();
    co_await yield_now();
    co_return &running == expected;
  };
  Task<bool> task = loop->create_task(body(&started, loop.get()));
  REQUIRE_THAT(task.valid(), "create_task() returns a Task");
  CHECK_THAT(!started && !task.done(), "create_task() schedules the coroutine; it does not run it");
  CHECK_THAT(&task.get_loop() == loop.get(), "the Task belongs to the loop that created it");
  bool on_this_loop = ctx.run_until_complete(*loop, task, "a Task made by create_task()");
  CHECK_THAT(started && on_this_loop, "the Task's coroutine runs on the loop that created it");
}

LOOPCERT_CASE("loop_tasks.create_task.many_interleave", clauses("LOOP-CREATE-TASK")) {
  // A hundred Tasks, each yielding a few times: all run, each to its end.
  constexpr int kTasks = 100;
  auto loop = ctx.new_loop();
  auto body = [](int id) -> Coroutine<int> {
    for (int step = 0; step < 3; ++step) co_await yield_now();
    co_return id;
  };
  std::vector<Task<int>> tasks;
  for (int i = 0; i < kTasks; ++i) tasks.push_back(loop->create_task(body(i)));
  conformance::stop_when(*loop, [&] {
    for (const auto& task : tasks)
      if (!task.done()) return false;
    return true;
  });
  ctx.run_forever(*loop, "a hundred Tasks");
  int wrong = 0;
  for (int i = 0; i < kTasks; ++i) wrong += tasks[i].result() != i;
  CHECK_EQUAL(wrong, 0, "every Task ran its coroutine to the end and holds its result");
}

LOOPCERT_CASE("loop_tasks.create_future.pending_on_the_loop", clauses("LOOP-CREATE-FUTURE")) {
  // "an object implementing (a superset of) the Future interface".
  auto loop = ctx.new_loop();
  Future<int> future = loop->create_future<int>();
  REQUIRE_THAT(future.valid(), "create_future() returns a Future");
  CHECK_THAT(!future.done() && !future.cancelled(), "a new Future is pending");
  CHECK_THAT(&future.get_loop() == loop.get(), "the Future belongs to the loop that created it");
  ctx.expect_throw<InvalidStateError>([&] { future.result(); }, "result() of a pending Future");
  int seen = 0;
  future.add_done_callback([&](Future<int> done) {
    seen = done.result();
    loop->stop();
  });
  future.set_result(4);
  CHECK_THAT(future.done(), "set_result() makes it done");
  ctx.run_forever(*loop, "the Future's done callback");
  CHECK_EQUAL(seen, 4, "its done callback runs from the loop with the result");
}

LOOPCERT_CASE("loop_tasks.task_factory.either_way", clauses("LOOP-TASK-FACTORY").tolerance()) {
  // The loop may or may not let its Task class be replaced. If it accepts
  // a factory, create_task() goes through it and get_task_factory()
  // returns it; resetting it with None restores the loop's own Tasks.
  auto loop = ctx.new_loop();
  int made = 0;
  TaskFactory counting = [&made](AbstractEventLoop& on, ErasedCoroutine coroutine) -> FuturePtr {
    ++made;
    return StandardTask::start(on, std::move(coroutine));
  };
  try {
    loop->set_task_factory(counting);
  } catch (const NotImplementedError&) {
    return;  // allowed: the loop does not offer a task factory
  }
  CHECK_THAT(static_cast<bool>(loop->get_task_factory()), "get_task_factory() returns the factory set");
  auto body = []() -> Coroutine<int> { co_return 6; };
  CHECK_EQUAL(ctx.run_until_complete(*loop, loop->create_task(body()), "a Task from the factory"), 6,
              "a Task the factory made runs its coroutine");
  CHECK_EQUAL(made, 1, "create_task() goes through the factory set");
  loop->set_task_factory(nullptr);
  CHECK_THAT(!loop->get_task_factory(), "set_task_factory(None) removes the factory");
  CHECK_EQUAL(ctx.run_until_complete(*loop, loop->create_task(body()), "a Task without the factory"), 6,
              "create_task() works again without the factory");
  CHECK_EQUAL(made, 1, "the removed factory is no longer called");
}
