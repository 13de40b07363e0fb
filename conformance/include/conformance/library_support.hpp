// What the library-tier cases share (PEP 3156, "Futures", "Tasks",
// "Coroutines and the Scheduler").
//
// A loop may supply its own Future and Task types (create_future(),
// create_task() and the task factory; decision D-TF-1), and the PEP's
// litmus test is that the standard ones work on any conforming loop
// (TIER-SCHEDULER-LITMUS). So a case that checks a Future or a Task runs
// its check on both kinds: the standard one, built directly over the loop,
// and the loop's own.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/conformance.hpp"

namespace library_support {

/// Which implementation of the PEP's Future (or Task) a check runs on.
enum class Kind {
  standard,   // Future<T>(loop), StandardTask::start(loop, coroutine)
  loops_own,  // loop.create_future(), loop.create_task(coroutine)
};
inline constexpr Kind kBothKinds[] = {Kind::standard, Kind::loops_own};

/// "Future(loop): <what>" or "loop.create_future(): <what>", for messages.
inline std::string future_says(Kind kind, std::string_view what) {
  return conformance::str(kind == Kind::standard ? "Future(loop): " : "loop.create_future(): ", what);
}
inline std::string task_says(Kind kind, std::string_view what) {
  return conformance::str(kind == Kind::standard ? "StandardTask: " : "loop.create_task(): ", what);
}

/// A new pending Future of the given kind on `loop`.
template <class T>
pep3156::Future<T> new_future(Kind kind, pep3156::AbstractEventLoop& loop) {
  return kind == Kind::standard ? pep3156::Future<T>(loop) : loop.create_future<T>();
}

/// Wraps `coroutine` in a Task of the given kind on `loop`; its first step
/// is scheduled, not run.
template <class T>
pep3156::Task<T> start_task(Kind kind, pep3156::AbstractEventLoop& loop, pep3156::Coroutine<T> coroutine) {
  if (kind == Kind::standard) {
    return pep3156::Task<T>(pep3156::StandardTask::start(loop, std::move(coroutine).release()));
  }
  return loop.create_task(std::move(coroutine));
}

/// Whether `e` holds an E (or a type derived from it).
template <class E>
bool holds(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

/// what() of the std::exception `e` holds; "" for null or another type.
std::string what_of(const std::exception_ptr& e);

/// Records each context that reaches a loop's exception handler. The
/// handler shares the record, so it stays valid however long the loop
/// keeps the handler.
class HandlerRecord {
 public:
  HandlerRecord() : contexts_(std::make_shared<std::vector<pep3156::ExceptionContext>>()) {}
  /// Installs the recording handler on `loop`.
  void install(pep3156::AbstractEventLoop& loop) const {
    loop.set_exception_handler(
        [contexts = contexts_](pep3156::AbstractEventLoop&, const pep3156::ExceptionContext& context) {
          contexts->push_back(context);
        });
  }
  const std::vector<pep3156::ExceptionContext>& contexts() const noexcept { return *contexts_; }
  /// How many recorded contexts carry an exception whose what() is `what`.
  std::size_t count_with(std::string_view what) const;

 private:
  std::shared_ptr<std::vector<pep3156::ExceptionContext>> contexts_;
};

/// Runs `loop` (under the watchdog) for `rounds` trips through its ready
/// queue: round 1 ends after every callback scheduled before this call,
/// round N after what round N-1's callbacks scheduled. For checks that
/// something did NOT happen; to wait for something, run until it happens.
void run_rounds(conformance::Context& ctx, pep3156::AbstractEventLoop& loop, int rounds,
                std::string waiting_for);

}  // namespace library_support
