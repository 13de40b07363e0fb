// Signal handlers (PEP 3156, "Signal callbacks"; optional: Category signals;
// decision D-SIG-1). The handler is a loop callback: it runs after the
// signal arrives, from the loop, serialized with every other callback,
// never inside the C signal handler. SIGUSR1 and SIGUSR2 are the signals
// used; each case is a process of its own.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

namespace {
/// The outcomes a refusal may take (decision D-SIG-1).
enum Accepted : unsigned {
  value_error = 1u << 0,
  runtime_error = 1u << 1,
  not_implemented = 1u << 2,
  returning_false = 1u << 3,
};

/// Runs `call` (which returns whether it did anything) and returns "" if it
/// was refused in one of the `accepted` ways, or else what it did.
template <class F>
std::string unless_refused(F call, unsigned accepted) {
  auto raised = [accepted](unsigned kind) {
    return (accepted & kind) ? std::string() : "raised " + conformance::Context::describe_current_exception();
  };
  try {
    return !call() && (accepted & returning_false) ? "" : "returned normally";
  } catch (const ValueError&) {
    return raised(value_error);
  } catch (const RuntimeError&) {
    return raised(runtime_error);
  } catch (const NotImplementedError&) {
    return raised(not_implemented);
  } catch (...) {
    return raised(0);
  }
}

const char* signal_name(int sig) { return sig == SIGKILL ? "SIGKILL" : sig == SIGSTOP ? "SIGSTOP" : "?"; }
}  // namespace

LOOPCERT_CASE("signals.add.runs_as_loop_callback", clauses("LOOP-SIGNAL-ADD", "LOOP-CALLBACKS-SERIALIZED")) {
  // The signal is raised from inside a callback: its handler must not run
  // there (inside raise(), from the C handler), but after, from the loop.
  auto loop = ctx.new_loop();
  std::atomic<bool> inside{false};
  std::atomic<int> calls{0};
  std::atomic<bool> ran_inside_another{false};
  loop->add_signal_handler(SIGUSR1, [&] {
    if (inside.load()) ran_inside_another = true;
    ++calls;
  });
  loop->call_soon([&] {
    inside = true;
    ::raise(SIGUSR1);
    inside = false;
  });
  conformance::stop_when(*loop, [&] { return calls.load() > 0; });
  ctx.run_forever(*loop, "the handler of a signal raised by a callback");
  CHECK_THAT(loop->remove_signal_handler(SIGUSR1), "remove_signal_handler() removes the handler");
  CHECK_THAT(!ran_inside_another.load(),
             "the signal's callback runs as a loop callback, not inside the callback that raised the signal");
  CHECK_EQUAL(calls.load(), 1, "the signal's callback runs once for the one signal");
}

LOOPCERT_CASE("signals.add.wakes_blocked_loop", clauses("LOOP-SIGNAL-ADD")) {
  // The loop sleeps with nothing to do; another thread sends the signal to
  // the loop's thread, interrupting its wait: the handler runs.
  auto loop = ctx.new_loop();
  pthread_t loop_thread = ::pthread_self();
  std::atomic<bool> handled{false};
  loop->add_signal_handler(SIGUSR1, [&] {
    handled = true;
    loop->stop();
  });
  std::jthread sender;
  loop->call_soon([&] {
    sender = std::jthread([&] {
      ctx.wait_until_loop_blocked();
      ::pthread_kill(loop_thread, SIGUSR1);
    });
  });
  ctx.run_forever(*loop, "the handler of a signal sent to the loop's sleeping thread");
  conformance::join(ctx, sender, "the thread that sent the signal");
  loop->remove_signal_handler(SIGUSR1);
  CHECK_THAT(handled.load(), "a signal arriving while the loop sleeps wakes it and its callback runs");
}

LOOPCERT_CASE("signals.add.positional_arguments",
              clauses("LOOP-SIGNAL-ADD", "TIER-CALLBACK-POSITIONAL-ARGS")) {
  auto loop = ctx.new_loop();
  std::vector<std::string> seen;
  std::string tag = "usr1";
  loop->add_signal_handler(
      SIGUSR1,
      [&](std::string t, int n) {
        seen.push_back(t + "/" + std::to_string(n));
        loop->stop();
      },
      tag, 7);
  tag = "changed";
  loop->call_soon([] { ::raise(SIGUSR1); });
  ctx.run_forever(*loop, "a signal handler with arguments");
  loop->remove_signal_handler(SIGUSR1);
  CHECK_THAT(seen == std::vector<std::string>{"usr1/7"},
             "add_signal_handler(sig, callback, *args) calls callback(*args) with the arguments given");
}

LOOPCERT_CASE("signals.add.two_signals", clauses("LOOP-SIGNAL-ADD")) {
  auto loop = ctx.new_loop();
  int usr1 = 0;
  int usr2 = 0;
  loop->add_signal_handler(SIGUSR1, [&] { ++usr1; });
  loop->add_signal_handler(SIGUSR2, [&] { ++usr2; });
  loop->call_soon([] { ::raise(SIGUSR2); });
  conformance::stop_when(*loop, [&] { return usr2 > 0; });
  ctx.run_forever(*loop, "the handler of SIGUSR2");
  loop->call_soon([] { ::raise(SIGUSR1); });
  conformance::stop_when(*loop, [&] { return usr1 > 0; });
  ctx.run_forever(*loop, "the handler of SIGUSR1");
  loop->remove_signal_handler(SIGUSR1);
  loop->remove_signal_handler(SIGUSR2);
  CHECK_THAT(usr1 == 1 && usr2 == 1, "each signal runs its own handler, once");
}

LOOPCERT_CASE("signals.add.replaces", clauses("LOOP-SIGNAL-REPLACE")) {
  auto loop = ctx.new_loop();
  int first = 0;
  int second = 0;
  loop->add_signal_handler(SIGUSR1, [&] { ++first; });
  loop->add_signal_handler(SIGUSR1, [&] { ++second; });
  loop->call_soon([] { ::raise(SIGUSR1); });
  conformance::stop_when(*loop, [&] { return first + second > 0; });
  ctx.run_forever(*loop, "the handler of SIGUSR1");
  CHECK_THAT(loop->remove_signal_handler(SIGUSR1), "there is a handler to remove");
  CHECK_THAT(!loop->remove_signal_handler(SIGUSR1), "and only one");
  CHECK_THAT(first == 0 && second == 1, "a second add_signal_handler() for a signal replaces the first");
}

LOOPCERT_CASE("signals.add.invalid_signals", clauses("LOOP-SIGNAL-VALUEERROR")) {
  // Invalid numbers: ValueError. Uncatchable signals: ValueError, or
  // RuntimeError (decision D-SIG-1).
  auto loop = ctx.new_loop();
  for (int sig : {0, -1, NSIG, 100000}) {
    std::string outcome = unless_refused(
        [&] {
          loop->add_signal_handler(sig, [] {});
          return true;
        },
        value_error);
    CHECK_THAT(outcome.empty(),
               "add_signal_handler(" + std::to_string(sig) + ") raises ValueError; it " + outcome);
  }
  for (int sig : {SIGKILL, SIGSTOP}) {
    std::string outcome = unless_refused(
        [&] {
          loop->add_signal_handler(sig, [] {});
          return true;
        },
        value_error);
    CHECK_THAT(outcome.empty(), std::string("add_signal_handler(") + signal_name(sig) +
                                    ") raises ValueError (decision D-SIG-1); it " + outcome);
  }
}

LOOPCERT_CASE("signals.remove.returns_whether_removed", clauses("LOOP-SIGNAL-REMOVE")) {
  auto loop = ctx.new_loop();
  CHECK_THAT(!loop->remove_signal_handler(SIGUSR2),
             "remove_signal_handler() with no handler set returns false");
  loop->add_signal_handler(SIGUSR2, [] {});
  CHECK_THAT(loop->remove_signal_handler(SIGUSR2),
             "remove_signal_handler() returns true when it removed one");
  CHECK_THAT(!loop->remove_signal_handler(SIGUSR2), "a second remove_signal_handler() returns false");
}

LOOPCERT_CASE("signals.remove.before_delivery", clauses("LOOP-SIGNAL-REMOVE")) {
  // The signal arrives, then its handler is removed before the loop got to
  // it: the callback must not run.
  auto loop = ctx.new_loop();
  int calls = 0;
  loop->add_signal_handler(SIGUSR1, [&] { ++calls; });
  loop->call_soon([&] {
    ::raise(SIGUSR1);
    loop->remove_signal_handler(SIGUSR1);
    loop->call_later(0.005, [&] { loop->stop(); });
  });
  ctx.run_forever(*loop, "a signal whose handler is removed before the loop runs it, then 5 ms");
  CHECK_EQUAL(calls, 0, "a handler removed after its signal arrived but before it ran does not run");
}

LOOPCERT_CASE("signals.remove.invalid_signals", clauses("LOOP-SIGNAL-REMOVE-ERRORS")) {
  // The same errors as add_signal_handler(), except that an uncatchable
  // signal may also return false (decision D-SIG-1).
  auto loop = ctx.new_loop();
  for (int sig : {0, -1, NSIG, 100000}) {
    std::string outcome = unless_refused([&] { return loop->remove_signal_handler(sig); }, value_error);
    CHECK_THAT(outcome.empty(),
               "remove_signal_handler(" + std::to_string(sig) + ") raises ValueError; it " + outcome);
  }
  for (int sig : {SIGKILL, SIGSTOP}) {
    std::string outcome = unless_refused([&] { return loop->remove_signal_handler(sig); },
                                         value_error | runtime_error | returning_false);
    CHECK_THAT(outcome.empty(), std::string("remove_signal_handler(") + signal_name(sig) +
                                    ") returns false or raises ValueError or RuntimeError; it " + outcome +
                                    " (true)");
  }
}

LOOPCERT_CASE("signals.non_main_thread_loop",
              clauses("LOOP-SIGNAL-RUNTIMEERROR", "LOOP-SIGNAL-REMOVE-ERRORS", "LOOP-SIGNAL-NIE-STATIC")) {
  // A loop made and used on another thread cannot handle signals:
  // RuntimeError (or NotImplementedError, PEP 3156: "If these methods are
  // statically known to be unsupported").
  std::string add_outcome;
  std::string remove_outcome;
  std::jthread other([&] {
    auto loop = ctx.new_loop();
    add_outcome = unless_refused(
        [&] {
          loop->add_signal_handler(SIGUSR1, [] {});
          return true;
        },
        runtime_error | not_implemented);
    remove_outcome =
        unless_refused([&] { return loop->remove_signal_handler(SIGUSR1); }, runtime_error | not_implemented);
  });
  conformance::join(ctx, other, "a loop on another thread");
  CHECK_THAT(
      add_outcome.empty(),
      "add_signal_handler() on a loop of another thread raises RuntimeError (or NotImplementedError); it " +
          add_outcome);
  CHECK_THAT(remove_outcome.empty(),
             "remove_signal_handler() on a loop of another thread raises RuntimeError (or "
             "NotImplementedError); it " +
                 remove_outcome);
}

LOOPCERT_CASE("signals.no_handle", clauses("LOOP-SIGNAL-NO-HANDLE")) {
  // "add_signal_handler() ... do[es] not return Handles": remove it instead.
  static_assert(
      std::is_void_v<decltype(std::declval<AbstractEventLoop&>().add_signal_handler(0, Callback()))>,
      "add_signal_handler() returns nothing");
  auto loop = ctx.new_loop();
  loop->add_signal_handler(SIGUSR2, [] {});
  CHECK_THAT(loop->remove_signal_handler(SIGUSR2), "remove_signal_handler() removes what was added");
}

LOOPCERT_CASE("signals.callback_exception.reaches_handler",
              clauses("LOOP-ERR-HANDLER-RECEIVES", "LOOP-SIGNAL-ADD").needs(Category::signals)) {
  auto loop = ctx.new_loop();
  conformance::ExceptionLog log;
  loop->set_exception_handler(log.handler());
  loop->add_signal_handler(SIGUSR1, [] { throw std::runtime_error("signal callback"); });
  loop->call_soon([] { ::raise(SIGUSR1); });
  conformance::stop_when(*loop, [&] { return !log.contexts.empty(); });
  ctx.run_forever(*loop, "a signal callback that raises");
  loop->remove_signal_handler(SIGUSR1);
  CHECK_THAT(log.whats() == std::vector<std::string>{"signal callback"},
             "the exception of a signal's callback reaches the exception handler");
}
