// The process's one current policy and the module-level functions (PEP
// 3156, "Event Loop Policy"; decisions D-POLICY-1 to D-POLICY-3). The
// Context restores a fresh default policy after each case.
#include <memory>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

namespace {
/// A custom policy: passes every call to another policy and counts them.
class CountingPolicy final : public AbstractEventLoopPolicy {
 public:
  explicit CountingPolicy(std::shared_ptr<AbstractEventLoopPolicy> inner) : inner_(std::move(inner)) {}
  std::shared_ptr<AbstractEventLoop> get_event_loop() override {
    ++gets;
    return inner_->get_event_loop();
  }
  void set_event_loop(std::shared_ptr<AbstractEventLoop> loop) override {
    ++sets;
    inner_->set_event_loop(std::move(loop));
  }
  std::shared_ptr<AbstractEventLoop> new_event_loop() override {
    ++news;
    return inner_->new_event_loop();
  }
  int gets = 0;
  int sets = 0;
  int news = 0;

 private:
  std::shared_ptr<AbstractEventLoopPolicy> inner_;
};
}  // namespace

LOOPCERT_CASE("policy.global.module_functions_use_the_policy",
              clauses("POLICY-GLOBAL-OBJECT", "POLICY-CUSTOM-MUST-SUBCLASS")) {
  // A custom AbstractEventLoopPolicy installed with set_event_loop_policy()
  // backs get_event_loop(), set_event_loop() and new_event_loop().
  auto counting = std::make_shared<CountingPolicy>(ctx.new_policy());
  set_event_loop_policy(counting);
  auto loop = new_event_loop();
  set_event_loop(loop);
  auto current = get_event_loop();
  CHECK_THAT(counting->news == 1 && counting->sets == 1 && counting->gets == 1,
             "new_event_loop(), set_event_loop() and get_event_loop() each call the current policy once");
  CHECK_THAT(loop && current == loop, "get_event_loop() returns the loop set through the custom policy");
}

LOOPCERT_CASE("policy.global.get_policy_returns_last_set", clauses("POLICY-GET-POLICY")) {
  auto first = std::make_shared<CountingPolicy>(ctx.new_policy());
  auto second = std::make_shared<CountingPolicy>(first);
  set_event_loop_policy(first);
  CHECK_THAT(get_event_loop_policy() == first, "get_event_loop_policy() returns the policy just set");
  set_event_loop_policy(second);
  CHECK_THAT(get_event_loop_policy() == second, "and the one set after it, once replaced");
}

LOOPCERT_CASE("policy.global.none_restores_a_fresh_default",
              clauses("POLICY-SET-NONE-RESTORES-DEFAULT", "POLICY-DEFAULT-CLASS")) {
  auto custom = std::make_shared<CountingPolicy>(ctx.new_policy());
  set_event_loop_policy(custom);
  auto loop = new_event_loop();
  set_event_loop(loop);
  set_event_loop_policy(nullptr);
  auto restored = get_event_loop_policy();
  CHECK_THAT(std::dynamic_pointer_cast<DefaultEventLoopPolicy>(restored) != nullptr,
             "set_event_loop_policy(None) installs a DefaultEventLoopPolicy");
  CHECK_THAT(restored != custom, "the custom policy is no longer current");
  // Fresh: the loop set before is nobody's current loop now (the new default
  // policy may create one, or raise if it has no loop to create).
  std::shared_ptr<AbstractEventLoop> now;
  try {
    now = get_event_loop();
  } catch (const std::exception&) {
  }
  CHECK_THAT(now != loop, "the restored default policy does not know the loop set under the old policy");
  set_event_loop_policy(nullptr);
  CHECK_THAT(get_event_loop_policy() != restored,
             "each set_event_loop_policy(None) installs a new default policy");
}

LOOPCERT_CASE("policy.get_event_loop.never_null", clauses("POLICY-GET-NEVER-NONE")) {
  // Through the adapter's policy: get_event_loop() returns a loop or
  // raises, in the main thread and in another, before and after a loop is
  // set; it never returns null.
  auto policy = ctx.new_policy();
  auto ask = [&] {
    try {
      return policy->get_event_loop() != nullptr;
    } catch (const std::exception&) {
      return true;
    }
  };
  bool other_thread_ok = false;
  CHECK_THAT(ask(), "get_event_loop() on a fresh policy returns a loop or raises");
  policy->set_event_loop(policy->new_event_loop());
  CHECK_THAT(ask(), "get_event_loop() after set_event_loop(L) returns a loop");
  std::jthread other([&] { other_thread_ok = ask(); });
  conformance::join(ctx, other, "get_event_loop() on another thread");
  CHECK_THAT(other_thread_ok, "get_event_loop() on another thread returns a loop or raises");
}

LOOPCERT_CASE("policy.loop_argument.works_without_a_current_loop", clauses("POLICY-LOOP-KWARG")) {
  // With no current loop at all (set_event_loop(None)), the helpers that
  // take a loop argument work when it is given (decision D-POLICY-3).
  auto policy = ctx.new_policy();
  set_event_loop_policy(policy);
  set_event_loop(nullptr);
  auto loop = ctx.new_loop();
  auto value = [](int v) -> Coroutine<int> {
    co_await yield_now();
    co_return v;
  };
  ctx.expect_throw<std::exception>([&] { ensure_future(Awaitable<int>(value(0))); },
                                   "ensure_future() of a coroutine with no loop given and none current");
  Future<int> single = ensure_future(Awaitable<int>(value(1)), loop.get());
  std::vector<Awaitable<int>> pair;
  pair.emplace_back(value(2));
  pair.emplace_back(value(3));
  Future<std::vector<int>> both = gather(std::move(pair), loop.get());
  auto sleeper = [](AbstractEventLoop* loop) -> Coroutine<int> {
    co_await sleep(0.001, loop);
    co_return 4;
  };
  Future<int> slept = loop->create_task(sleeper(loop.get()));
  CHECK_EQUAL(ctx.run_until_complete(*loop, single, "ensure_future(coroutine, loop)"), 1,
              "ensure_future() with a loop given runs the coroutine on it");
  CHECK_THAT(ctx.run_until_complete(*loop, both, "gather(..., loop)") == (std::vector<int>{2, 3}),
             "gather() with a loop given runs its coroutines on it");
  CHECK_EQUAL(ctx.run_until_complete(*loop, slept, "sleep(delay, loop)"), 4,
              "sleep() with a loop given sleeps on it");
}
