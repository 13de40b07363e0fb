// The event loop policy (PEP 3156, "Event Loop Policy"): the loop
// management API, through the adapter's policy (its own, or the default
// policy over its loops).
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "conformance/conformance.hpp"

using namespace pep3156;

LOOPCERT_CASE("policy.set_event_loop.then_get", clauses("POLICY-SET-THEN-GET")) {
  auto policy = ctx.new_policy();
  set_event_loop_policy(policy);
  auto loop = new_event_loop();
  set_event_loop(loop);
  CHECK_THAT(get_event_loop() == loop, "after set_event_loop(L), get_event_loop() returns L");
  auto other = new_event_loop();
  set_event_loop(other);
  CHECK_THAT(get_event_loop() == other, "a second set_event_loop() replaces the first");
}

LOOPCERT_CASE("policy.new_event_loop.not_current", clauses("POLICY-NEW-LOOP-NOT-CURRENT")) {
  auto policy = ctx.new_policy();
  auto current = policy->new_event_loop();
  policy->set_event_loop(current);
  auto fresh = policy->new_event_loop();
  auto another = policy->new_event_loop();
  REQUIRE_THAT(fresh && another, "new_event_loop() returns a loop");
  CHECK_THAT(fresh != current && another != fresh, "new_event_loop() returns a new loop each time");
  CHECK_THAT(policy->get_event_loop() == current, "new_event_loop() does not change the current loop");
}

LOOPCERT_CASE("policy.set_event_loop.none_then_raises",
              clauses("POLICY-SET-NONE-THEN-RAISES", "POLICY-GET-NEVER-NONE")) {
  auto policy = ctx.new_policy();
  policy->set_event_loop(policy->new_event_loop());
  policy->set_event_loop(nullptr);
  // "subsequent calls to get_event_loop() will raise an exception" (even in
  // the main thread, where the default policy may otherwise create one).
  ctx.expect_throw<std::exception>([&] { policy->get_event_loop(); },
                                   "get_event_loop() after set_event_loop(None)");
}

LOOPCERT_CASE("policy.default.per_thread_main_only",
              clauses("POLICY-DEFAULT-MAIN-THREAD-ONLY", "POLICY-CONTEXT-PER-THREAD")) {
  // The default policy itself, over the adapter's loops.
  DefaultEventLoopPolicy policy([&] { return ctx.new_loop(); });
  std::string other_thread;
  auto ask_from_other_thread = [&] {
    std::thread asker([&] {
      try {
        policy.get_event_loop();
        other_thread = "returned a loop";
      } catch (const std::exception&) {
        other_thread = "raised";
      }
    });
    ctx.join(asker, "get_event_loop() on another thread");
    return other_thread;
  };
  CHECK_EQUAL(ask_from_other_thread(), std::string("raised"),
              "the default policy creates no loop implicitly outside the main thread");
  auto main_loop = policy.new_event_loop();
  policy.set_event_loop(main_loop);
  CHECK_EQUAL(ask_from_other_thread(), std::string("raised"),
              "a loop set in the main thread is not another thread's current loop");
  CHECK_THAT(policy.get_event_loop() == main_loop, "the main thread's current loop is the one it set");
}
