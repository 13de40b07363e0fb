// The event loop policy (clauses POLICY-*). The policy is process-global:
// every test starts from, and leaves behind, a fresh default policy and no
// loop factory.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <thread>

#include "test_loop.hpp"

using namespace pep3156;
using pep3156::testing::TestLoop;

namespace {
/// A fresh DefaultEventLoopPolicy whose default factory makes TestLoops
/// and counts them; restores a pristine global state when it goes.
class FreshPolicy {
 public:
  FreshPolicy() {
    set_event_loop_policy(nullptr);
    set_default_loop_factory([this] {
      ++loops_made;
      return std::static_pointer_cast<AbstractEventLoop>(TestLoop::create());
    });
  }
  ~FreshPolicy() {
    set_event_loop_policy(nullptr);
    set_default_loop_factory(nullptr);
  }
  FreshPolicy(const FreshPolicy&) = delete;
  FreshPolicy& operator=(const FreshPolicy&) = delete;

  int loops_made = 0;
};

/// Runs `body` on a new thread and waits for it.
void on_other_thread(const std::function<void()>& body) {
  std::thread thread(body);
  thread.join();
}

bool get_raises() {
  try {
    get_event_loop();
    return false;
  } catch (const RuntimeError&) {
    return true;
  }
}
}  // namespace

TEST_CASE("POLICY-LAZY-CREATION: the first get_event_loop() in the main thread creates the loop") {
  FreshPolicy policy;
  REQUIRE(is_main_thread());
  CHECK(policy.loops_made == 0);
  auto loop = get_event_loop();
  REQUIRE(loop != nullptr);  // POLICY-GET-NEVER-NONE
  CHECK(policy.loops_made == 1);
  CHECK(get_event_loop() == loop);
  CHECK(policy.loops_made == 1);
}

TEST_CASE("POLICY-DEFAULT-MAIN-THREAD-ONLY: no implicit loop in another thread") {
  FreshPolicy policy;
  bool raised = false;
  on_other_thread([&] { raised = get_raises(); });
  CHECK(raised);
  CHECK(policy.loops_made == 0);
}

TEST_CASE("POLICY-DEFAULT-NO-CREATE-AFTER-SET: once set_event_loop() was called, get never creates") {
  FreshPolicy policy;
  SUBCASE("set in this thread, then unset") {
    set_event_loop(TestLoop::create());
    set_event_loop(nullptr);
  }
  SUBCASE("set in another thread") {
    on_other_thread([] { set_event_loop(TestLoop::create()); });
  }
  CHECK(get_raises());
  CHECK(policy.loops_made == 0);
}

TEST_CASE("POLICY-SET-THEN-GET POLICY-SET-NONE-THEN-RAISES") {
  FreshPolicy policy;
  auto loop = TestLoop::create();
  set_event_loop(loop);
  CHECK(get_event_loop() == loop);
  set_event_loop(nullptr);
  CHECK(get_raises());
  CHECK(policy.loops_made == 0);
}

TEST_CASE("POLICY-SET-NONE-THEN-RAISES: even after a loop was created implicitly") {
  FreshPolicy policy;
  auto created = get_event_loop();
  set_event_loop(nullptr);
  CHECK(get_raises());
}

TEST_CASE("POLICY-NEW-LOOP-NOT-CURRENT: new_event_loop() returns a new loop and leaves the current one") {
  FreshPolicy policy;
  auto current = TestLoop::create();
  set_event_loop(current);
  auto first = new_event_loop();
  auto second = new_event_loop();
  CHECK(first != second);
  CHECK(first != current);
  CHECK(get_event_loop() == current);
  CHECK(policy.loops_made == 2);
}

TEST_CASE("POLICY-CONTEXT-PER-THREAD: each thread has its own current loop") {
  FreshPolicy policy;
  auto main_loop = TestLoop::create();
  set_event_loop(main_loop);
  std::shared_ptr<AbstractEventLoop> seen_in_thread;
  bool raised_before_set = false;
  on_other_thread([&] {
    raised_before_set = get_raises();
    auto thread_loop = TestLoop::create();
    set_event_loop(thread_loop);
    seen_in_thread = get_event_loop();
    CHECK(seen_in_thread == thread_loop);
  });
  CHECK(raised_before_set);
  CHECK(seen_in_thread != main_loop);
  CHECK(get_event_loop() == main_loop);
}

TEST_CASE("POLICY-CONTEXT-PER-THREAD: a thread's loop is released when the thread exits") {
  FreshPolicy policy;
  std::weak_ptr<AbstractEventLoop> thread_loop;
  on_other_thread([&] {
    auto loop = TestLoop::create();
    thread_loop = loop;
    set_event_loop(loop);
  });
  CHECK(thread_loop.expired());
  // A later thread (which may get the same thread id) has no current loop.
  bool raised = false;
  on_other_thread([&] { raised = get_raises(); });
  CHECK(raised);
}

TEST_CASE("POLICY-SET-NONE-RESTORES-DEFAULT POLICY-DEFAULT-CLASS POLICY-GET-POLICY") {
  FreshPolicy policy;
  auto first = get_event_loop_policy();
  CHECK(dynamic_cast<DefaultEventLoopPolicy*>(first.get()) != nullptr);
  CHECK(get_event_loop_policy() == first);
  set_event_loop(nullptr);  // this policy will no longer create loops
  auto custom = std::make_shared<DefaultEventLoopPolicy>();
  set_event_loop_policy(custom);
  CHECK(get_event_loop_policy() == custom);
  set_event_loop_policy(nullptr);
  auto restored = get_event_loop_policy();
  CHECK(restored != first);
  CHECK(restored != custom);
  CHECK(dynamic_cast<DefaultEventLoopPolicy*>(restored.get()) != nullptr);
  // A fresh policy: the implicit creation in the main thread works again.
  CHECK(get_event_loop() != nullptr);
  CHECK(policy.loops_made == 1);
}

TEST_CASE("POLICY-CUSTOM-MUST-SUBCLASS: a custom policy backs the module-level functions") {
  FreshPolicy fresh;
  class OneLoopPolicy final : public AbstractEventLoopPolicy {
   public:
    std::shared_ptr<AbstractEventLoop> get_event_loop() override { return loop; }
    void set_event_loop(std::shared_ptr<AbstractEventLoop> l) override { loop = std::move(l); }
    std::shared_ptr<AbstractEventLoop> new_event_loop() override { return TestLoop::create(); }
    std::shared_ptr<AbstractEventLoop> loop = TestLoop::create();
  };
  auto custom = std::make_shared<OneLoopPolicy>();
  set_event_loop_policy(custom);
  CHECK(get_event_loop() == custom->loop);
  auto other = TestLoop::create();
  set_event_loop(other);
  CHECK(custom->loop == other);
  CHECK(new_event_loop() != other);
  // POLICY-GET-NEVER-NONE: a policy that returns null is refused.
  custom->loop = nullptr;
  CHECK(get_raises());
}

TEST_CASE(
    "without an installed loop factory, new_event_loop() and the implicit creation raise RuntimeError") {
  FreshPolicy policy;
  set_default_loop_factory(nullptr);
  CHECK_THROWS_AS(new_event_loop(), RuntimeError);
  CHECK(get_raises());
  set_default_loop_factory([] { return std::shared_ptr<AbstractEventLoop>(); });
  CHECK_THROWS_AS(new_event_loop(), RuntimeError);
}

TEST_CASE("DefaultEventLoopPolicy uses its own factory before the process default") {
  FreshPolicy fresh;
  int own = 0;
  auto policy = std::make_shared<DefaultEventLoopPolicy>([&own] {
    ++own;
    return std::static_pointer_cast<AbstractEventLoop>(TestLoop::create());
  });
  set_event_loop_policy(policy);
  CHECK(get_event_loop() != nullptr);
  CHECK(own == 1);
  CHECK(fresh.loops_made == 0);
}

TEST_CASE("POLICY-LOOP-KWARG: with no loop given, the helpers use get_event_loop()") {
  FreshPolicy fresh;
  auto loop = TestLoop::create();
  set_event_loop(loop);
  Future<int> f(loop->create_future());
  auto probe = []() -> Coroutine<bool> {
    FuturePtr me = current_task();  // the current loop's current Task
    co_return me != nullptr && !all_tasks().empty();
  };
  CHECK(loop->run_until_complete(probe()));
  CHECK(current_task() == nullptr);
  Future<int> wrapped = ensure_future<int>([]() -> Coroutine<int> { co_return 2; }());
  CHECK(&wrapped.get_loop() == loop.get());
  CHECK(loop->run_until_complete(wrapped) == 2);
}
