// Self-test mutants: loops that break exactly one clause, to prove that the
// kit catches each bug it claims to (and only that one).
//
// A mutant wraps a correct loop (pep3156::ForwardingEventLoop over it) and
// overrides the one method whose behaviour it breaks. The mutants library
// (libloopcert_mutants.so) is an ordinary adapter library: one adapter per
// mutant, each wrapping the loop of a base adapter named at run time
//
//   LOOPCERT_MUTANT_BASE=path/to/adapter.so [LOOPCERT_MUTANT_BASE_LOOP=name]
//
// so the same mutants run over the reference loop, or over any loop a user
// wants to check the kit against. The selftest (selftest_test.cpp) runs
// loopcert on each and holds it to what the mutant expects:
//
//   caught     the cases naming `clause` fail (and the run says so: a
//              non-conforming verdict for a MUST clause, a warning for a
//              SHOULD clause, whose cases are advisory)
//   tolerated  the mutant does something the PEP allows (`clause` names the
//              freedom): every case the base loop passes, it passes too
//   crash      every case it runs ends as CRASH, and the run goes on
//   timeout    a case it hangs where no watchdog waits ends as TIMEOUT
//   watchdog   a case it hangs while waiting for the loop ends as the watchdog's FAIL
//   leak       a case ends as FAIL naming the leaked descriptor
//   partial    an embedded loop (run by itself, or by its host through
//              run_hosted): its start/stop/close cases are skipped, the
//              rest pass, and the verdict is partially-conforming
//
// Writing one:
//
//   class CallSoonLifo final : public pep3156::ForwardingEventLoop { ... };
//   LOOPCERT_MUTANT({"callsoon_lifo", Expect::caught, "LOOP-CALLSOON-FIFO",
//                    "runs call_soon() callbacks last-scheduled first", wrap<CallSoonLifo>});
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pep3156/adapter.hpp"
#include "pep3156/forwarding_loop.hpp"

namespace conformance::selftest {

enum class Expect { caught, tolerated, crash, timeout, watchdog, leak, partial };

using LoopPtr = std::shared_ptr<pep3156::AbstractEventLoop>;
using Wrap = LoopPtr (*)(LoopPtr correct);
using MakeLoop = LoopPtr (*)();

struct Mutant {
  std::string name;
  Expect expect;
  /// The clause it breaks (caught) or whose freedom it uses (tolerated);
  /// empty for the crash, timeout, watchdog and leak mutants.
  std::string clause;
  std::string description;
  /// Wraps a fresh correct loop into the mutant.
  Wrap wrap;
  /// Optional: what the adapter declares instead of the base's capabilities.
  pep3156::Capabilities (*declare)(pep3156::Capabilities base) = nullptr;
  /// Optional: the adapter's policy, over `make_loop` (the mutant's loops).
  std::shared_ptr<pep3156::AbstractEventLoopPolicy> (*policy)(MakeLoop make_loop) = nullptr;
  /// Optional: the adapter's run_hosted hook (an embedded loop's host).
  void (*run_hosted)(pep3156::AbstractEventLoop& loop, const pep3156::HostedBody& inside) = nullptr;
};

/// `wrap` for a mutant class constructible from the correct loop.
template <class Loop>
LoopPtr wrap(LoopPtr correct) {
  return std::make_shared<Loop>(std::move(correct));
}

/// The base of a mutant of call_at(); call_later() goes through it too (the
/// ForwardingEventLoop would pass call_later() to the correct loop).
class TimerMutant : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::call_at;
  using ForwardingEventLoop::call_later;
  using ForwardingEventLoop::ForwardingEventLoop;
  pep3156::TimerHandle call_later(double delay, pep3156::Callback callback) override {
    return call_at(time() + delay, std::move(callback));
  }
};

/// The base of a mutant that changes what happens around callbacks: every
/// callback the loop is given (call_soon, call_soon_threadsafe, timers,
/// readers and writers, signal handlers) passes through `wrapped()` when
/// it is scheduled or registered.
class CallbackMutant : public TimerMutant {
 public:
  enum class Kind { soon, threadsafe, timer, io, signal };

  using TimerMutant::add_reader;
  using TimerMutant::add_signal_handler;
  using TimerMutant::add_writer;
  using TimerMutant::call_at;
  using TimerMutant::call_soon;
  using TimerMutant::call_soon_threadsafe;
  using TimerMutant::TimerMutant;

  pep3156::Handle call_soon(pep3156::Callback callback) override {
    return inner().call_soon(wrapped(Kind::soon, std::move(callback)));
  }
  pep3156::Handle call_soon_threadsafe(pep3156::Callback callback) override {
    return inner().call_soon_threadsafe(wrapped(Kind::threadsafe, std::move(callback)));
  }
  pep3156::TimerHandle call_at(double when, pep3156::Callback callback) override {
    return inner().call_at(when, wrapped(Kind::timer, std::move(callback)));
  }
  void add_reader(int fd, pep3156::Callback callback) override {
    inner().add_reader(fd, wrapped(Kind::io, std::move(callback)));
  }
  void add_writer(int fd, pep3156::Callback callback) override {
    inner().add_writer(fd, wrapped(Kind::io, std::move(callback)));
  }
  void add_signal_handler(int sig, pep3156::Callback callback) override {
    inner().add_signal_handler(sig, wrapped(Kind::signal, std::move(callback)));
  }

 protected:
  /// What the loop runs instead of `callback` (called from the thread that
  /// schedules it: another thread's, for Kind::threadsafe).
  virtual pep3156::Callback wrapped(Kind kind, pep3156::Callback callback) = 0;
};

/// `declare` for a mutant that does not declare `category`.
template <pep3156::Category category>
pep3156::Capabilities without(pep3156::Capabilities base) {
  base.categories = static_cast<pep3156::Category>(static_cast<std::uint32_t>(base.categories) &
                                                   ~static_cast<std::uint32_t>(category));
  return base;
}

/// Every mutant linked in, in registration order.
const std::vector<Mutant>& mutants();

struct MutantRegistrar {
  explicit MutantRegistrar(Mutant mutant);
};

/// The base adapter's loops and capabilities, loaded from
/// LOOPCERT_MUTANT_BASE; throws std::runtime_error saying what is missing.
struct Base {
  MakeLoop make_loop;
  pep3156::Capabilities capabilities;
  std::string description;
};
const Base& base();

}  // namespace conformance::selftest

#define LOOPCERT_MUTANT_CAT_(a, b) a##b
#define LOOPCERT_MUTANT_CAT(a, b) LOOPCERT_MUTANT_CAT_(a, b)
#define LOOPCERT_MUTANT(...)                                                                   \
  static const ::conformance::selftest::MutantRegistrar LOOPCERT_MUTANT_CAT(mutant_registrar_, \
                                                                            __COUNTER__) {     \
    ::conformance::selftest::Mutant __VA_ARGS__                                                \
  }
