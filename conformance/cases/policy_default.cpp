// The default policy's rules (PEP 3156, "Event Loop Policy": "The default
// policy will create a new event loop only in the main thread ... and only
// if get_event_loop() is called before set_event_loop() is ever called"),
// checked on DefaultEventLoopPolicy over the adapter's loops. The cases run
// on the main thread of their process.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

namespace {
/// A default policy over the adapter's loops that counts the loops it
/// creates.
struct CountedDefaultPolicy {
  explicit CountedDefaultPolicy(conformance::Context& ctx)
      : policy([this, &ctx] {
          ++created;
          return ctx.new_loop();
        }) {
    if (!is_main_thread()) ctx.unresolved("the case is not running on its process's main thread");
  }
  std::atomic<int> created{0};
  DefaultEventLoopPolicy policy;
};

/// "raised" or "returned a loop": get_event_loop() asked on another thread.
std::string ask_on_another_thread(conformance::Context& ctx, AbstractEventLoopPolicy& policy) {
  std::string outcome;
  std::jthread asker([&] {
    try {
      outcome = policy.get_event_loop() ? "returned a loop" : "returned null";
    } catch (const std::exception&) {
      outcome = "raised";
    }
  });
  conformance::join(ctx, asker, "get_event_loop() on another thread");
  return outcome;
}
}  // namespace

LOOPCERT_CASE("policy.default.lazy_creation", clauses("POLICY-LAZY-CREATION")) {
  CountedDefaultPolicy counted(ctx);
  CHECK_EQUAL(counted.created.load(), 0, "a fresh default policy creates no loop before it is asked");
  auto first = counted.policy.get_event_loop();
  auto second = counted.policy.get_event_loop();
  CHECK_THAT(first != nullptr, "the first get_event_loop() in the main thread creates a loop");
  CHECK_THAT(second == first, "later calls return the same loop");
  CHECK_EQUAL(counted.created.load(), 1, "exactly one loop was created");
}

LOOPCERT_CASE("policy.default.no_creation_after_set", clauses("POLICY-DEFAULT-NO-CREATE-AFTER-SET")) {
  // set_event_loop() with anything, None included, ends implicit creation.
  CountedDefaultPolicy counted(ctx);
  counted.policy.set_event_loop(nullptr);
  ctx.expect_throw<std::exception>([&] { counted.policy.get_event_loop(); },
                                   "get_event_loop() after set_event_loop(None) on a fresh default policy");
  CHECK_EQUAL(counted.created.load(), 0, "no loop is created once set_event_loop() was called");

  CountedDefaultPolicy again(ctx);
  again.policy.set_event_loop(again.policy.new_event_loop());
  again.policy.set_event_loop(nullptr);
  ctx.expect_throw<std::exception>([&] { again.policy.get_event_loop(); },
                                   "get_event_loop() after set_event_loop(L) then set_event_loop(None)");
  CHECK_EQUAL(again.created.load(), 1, "only the loop new_event_loop() made was created");
}

LOOPCERT_CASE("policy.default.other_thread_raises",
              clauses("POLICY-GET-RAISES-IF-UNSET", "POLICY-DEFAULT-MAIN-THREAD-ONLY")) {
  CountedDefaultPolicy counted(ctx);
  CHECK_EQUAL(ask_on_another_thread(ctx, counted.policy), std::string("raised"),
              "get_event_loop() on a thread with no loop set raises");
  CHECK_EQUAL(counted.created.load(), 0, "and creates no loop");
  counted.policy.get_event_loop();  // the main thread's, created implicitly
  CHECK_EQUAL(ask_on_another_thread(ctx, counted.policy), std::string("raised"),
              "the main thread's implicit loop is not another thread's");
}

LOOPCERT_CASE("policy.default.per_thread_loops",
              clauses("POLICY-CONTEXT-PER-THREAD", "POLICY-SET-THEN-GET")) {
  // Each thread sets its own loop and gets it back; neither sees the
  // other's.
  CountedDefaultPolicy counted(ctx);
  auto main_loop = counted.policy.new_event_loop();
  counted.policy.set_event_loop(main_loop);
  auto thread_loop = counted.policy.new_event_loop();
  bool thread_got_its_own = false;
  std::jthread other([&] {
    counted.policy.set_event_loop(thread_loop);
    thread_got_its_own = counted.policy.get_event_loop() == thread_loop;
  });
  conformance::join(ctx, other, "a thread setting its own loop");
  CHECK_THAT(thread_got_its_own, "a thread that set a loop gets it back");
  CHECK_THAT(counted.policy.get_event_loop() == main_loop,
             "setting a loop in another thread does not change the main thread's");
}
