// Context: what a case body works with.
//
// One Context per case, and one case per process (the runner isolates each
// case in its own process), so a Context is also reachable as
// Context::current() from helpers and loop callbacks, which is what the
// CHECK_THAT family of macros (check.hpp) uses.
//
// It gives a case:
//   - loops from the adapter under test (new_loop), owned by the Context,
//     closed and destroyed after the body;
//   - the adapter's declared Capabilities;
//   - checks that record file:line and a message, and expect_throw<E>;
//   - unsupported() and unresolved(), to end the case with those outcomes;
//   - a watchdog that lives outside the loop under test: run_forever(),
//     run_until_complete() and watch() arm it, and if the loop does not
//     return in time it ends the case process with a FAIL that says what
//     the case was waiting for. (A timer of the kit's own on the loop would
//     hide exactly the loops that fail to wake up.)
//   - latency recording for probes (record).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <utility>
#include <vector>

#include "conformance/case.hpp"
#include "conformance/result.hpp"
#include "conformance/str.hpp"
#include "pep3156/adapter.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/policy.hpp"

namespace conformance {

class Watchdog;

/// How the runner configures a case's Context.
struct ContextSettings {
  /// How long the watchdog waits for the loop before failing the case.
  double watchdog_seconds = 15.0;
};

/// While alive, the watchdog expects the loop to return; see Context::watch.
class Watch {
 public:
  Watch(Watchdog& watchdog, std::uint64_t id) noexcept : watchdog_(&watchdog), id_(id) {}
  Watch(Watch&& other) noexcept : watchdog_(std::exchange(other.watchdog_, nullptr)), id_(other.id_) {}
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  Watch& operator=(Watch&&) = delete;
  ~Watch();

 private:
  Watchdog* watchdog_;
  std::uint64_t id_;
};

class Context {
 public:
  Context(const pep3156::Adapter& adapter, ContextSettings settings, ResultSink& sink);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  /// The Context of the case running in this process.
  static Context& current();

  // --- The loop under test ---------------------------------------------------

  /// A fresh loop from the adapter; the Context closes and releases it after
  /// the body (a case may close it itself).
  std::shared_ptr<pep3156::AbstractEventLoop> new_loop();
  /// A fresh policy: the adapter's own, or DefaultEventLoopPolicy over the
  /// adapter's loops (which the Context then closes after the body). The
  /// Context restores the process's default policy after the body.
  std::shared_ptr<pep3156::AbstractEventLoopPolicy> new_policy();
  const pep3156::Capabilities& capabilities() const noexcept { return adapter_.capabilities; }
  /// The loop's declared clock resolution: the only tolerance a timing
  /// check may grant (decision D-CB-2).
  double clock_resolution() const noexcept { return adapter_.capabilities.clock_resolution; }

  // --- Checks (see check.hpp for the macros) --------------------------------

  /// Records a failure unless `ok`; returns `ok`.
  bool check(bool ok, std::string_view expression, std::string_view message,
             std::source_location where = std::source_location::current());
  /// Like check(), but a failure also ends the case.
  void require(bool ok, std::string_view expression, std::string_view message,
               std::source_location where = std::source_location::current());
  /// Records a failure and ends the case.
  [[noreturn]] void fail(std::string_view message,
                         std::source_location where = std::source_location::current());

  /// Checks that fn() throws an E (or a type derived from E).
  template <class E, class F>
  bool expect_throw(F&& fn, std::string_view what,
                    std::source_location where = std::source_location::current()) {
    try {
      std::forward<F>(fn)();
    } catch (const E&) {
      return true;
    } catch (...) {
      record_exception(str(what, ": expected ", type_name<E>(), ", got ", describe_current_exception()),
                       where);
      return false;
    }
    return check(false, "", str(what, ": expected ", type_name<E>(), ", nothing was thrown"), where);
  }

  /// Ends the case as UNSUPPORTED: the loop lacks a capability the case needs.
  [[noreturn]] void unsupported(std::string_view reason);
  /// Ends the case as UNRESOLVED: the case cannot decide (its environment
  /// failed it, not the loop).
  [[noreturn]] void unresolved(std::string_view reason);

  // --- Running the loop under the watchdog ----------------------------------

  /// Arms the watchdog until the returned Watch is destroyed. `waiting_for`
  /// completes "the loop did not return within N s while waiting for ...".
  [[nodiscard]] Watch watch(std::string waiting_for);
  /// Runs the loop under the watchdog. An embedded loop may leave running
  /// unimplemented: its adapter's run_hosted hook then runs it (new_loop()
  /// hands the case a HostedLoop), and without that hook a
  /// NotImplementedError ends the case UNRESOLVED (decision D-LIFE-6).
  void run_forever(pep3156::AbstractEventLoop& loop, std::string waiting_for);
  template <class T>
  T run_until_complete(pep3156::AbstractEventLoop& loop, const pep3156::Future<T>& future,
                       std::string waiting_for) {
    Watch guard = watch(std::move(waiting_for));
    try {
      return loop.run_until_complete(future);
    } catch (const pep3156::NotImplementedError&) {
      if (!capabilities().embedded) throw;
      embedded_cannot_run();
    }
  }
  /// Closes the loop for a case that checks what close() releases. An
  /// embedded loop may leave closing unimplemented (decision D-LIFE-6): its
  /// NotImplementedError ends the case UNSUPPORTED, as the case has nothing
  /// to check then.
  void close(pep3156::AbstractEventLoop& loop);
  /// Joins a helper thread under the watchdog: a thread stuck waiting for a
  /// broken loop fails the case instead of hanging it.
  void join(std::thread& thread, std::string waiting_for);
  /// Called from another thread: returns once the case's thread (the one
  /// running the loop) is blocked in the kernel, so that what the caller
  /// does next has to wake it. Returns false if that could not be observed
  /// in a reasonable time (a loop that busy-polls, a platform without
  /// /proc); the caller goes on either way.
  bool wait_until_loop_blocked();
  double watchdog_seconds() const noexcept { return settings_.watchdog_seconds; }

  // --- Latency ----------------------------------------------------------------

  /// Records a latency probe's samples (nanoseconds; negative = early).
  /// Reported, never deciding conformance.
  void record(std::string probe, std::vector<std::int64_t> samples_ns);

  // --- For the runner -----------------------------------------------------------

  /// Runs `body`, turning whatever it throws into the case's outcome.
  void execute(CaseBody body);
  /// Closes and releases every loop and policy the case obtained; records a
  /// failure if close() throws. Returns how many loops were still alive
  /// afterwards (held by something the loop failed to release).
  int tear_down();
  /// The outcome so far.
  CaseResult result() const;
  /// Reports `result` as the case's last word, once.
  void finish(CaseResult result);

  template <class T>
  static std::string type_name() {
    return demangle(typeid(T).name());
  }
  /// "TYPE: what()" of the exception being handled.
  static std::string describe_current_exception();

 private:
  struct Stop {};  // thrown by require(), fail(), unsupported(), unresolved()
  friend class Watchdog;

  static std::string demangle(const char* mangled);
  [[noreturn]] void stop(Outcome outcome, std::string_view reason);
  [[noreturn]] void embedded_cannot_run();
  void record_failure(std::string message, std::source_location where, bool not_implemented = false);
  /// Records a failure about the exception being handled, noting whether it
  /// is a NotImplementedError.
  void record_exception(std::string message, std::source_location where);
  [[noreturn]] void watchdog_expired(const std::string& message);

  const pep3156::Adapter& adapter_;
  ContextSettings settings_;
  ResultSink& sink_;
  std::unique_ptr<Watchdog> watchdog_;

  mutable std::mutex mutex_;  // guards what follows: checks may fail on any thread
  std::vector<std::string> failures_;
  bool first_failure_not_implemented_ = false;
  Outcome stopped_as_ = Outcome::pass;
  std::string stop_reason_;
  std::vector<LatencyStats> latency_;
  bool finished_ = false;

  std::vector<std::shared_ptr<pep3156::AbstractEventLoop>> loops_;  // every loop the case obtained
  std::shared_ptr<pep3156::AbstractEventLoopPolicy> policy_;
  int case_thread_;  // the kernel's id of the thread that runs the body
};

}  // namespace conformance
