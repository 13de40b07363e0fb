// is_running() asked from every kind of callback (PEP 3156, "Starting,
// Stopping and Closing"): "True inside a callback dispatched by
// run_forever", whatever dispatched it, not only inside call_soon()
// callbacks (lifecycle.is_running.states asks from those).
#include <signal.h>

#include <functional>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::str;

namespace {

/// The loop's side of one callback kind: arranges for `ask` to be called
/// from such a callback, and returns what undoes the arrangement.
using Arrange = std::function<std::function<void()>(AbstractEventLoop& loop, Callback ask)>;

/// Checks that is_running() is true inside the callback `arrange` sets up.
void is_running_inside(conformance::Context& ctx, const char* kind, const Arrange& arrange) {
  auto loop = ctx.new_loop();
  int asked = 0;
  bool running = true;
  std::function<void()> undo = arrange(*loop, [&] {
    running = running && loop->is_running();
    ++asked;
  });
  conformance::run_until(
      ctx, *loop, [&] { return asked > 0; }, str("a ", kind, " callback asking is_running()"));
  undo();
  CHECK_THAT(running, str("is_running() is true inside a ", kind, " callback"));
}

}  // namespace

LOOPCERT_CASE("lifecycle.is_running.inside_timer_callbacks",
              clauses("LOOP-ISRUNNING", "LOOP-CALLLATER-ONCE")) {
  is_running_inside(ctx, "call_later()", [](AbstractEventLoop& loop, Callback ask) {
    TimerHandle timer = loop.call_later(0.001, std::move(ask));
    return [timer]() mutable { timer.cancel(); };
  });
}

LOOPCERT_CASE("lifecycle.is_running.inside_io_callbacks",
              clauses("LOOP-ISRUNNING", "LOOP-IO-READER-WHENEVER-READY")) {
  auto pair = conformance::socket_pair();
  conformance::write_all(pair.second.get(), "x", 1);  // readable until removed
  int fd = pair.first.get();
  is_running_inside(ctx, "add_reader()", [fd](AbstractEventLoop& loop, Callback ask) {
    loop.add_reader(fd, std::move(ask));
    return [&loop, fd] { loop.remove_reader(fd); };
  });
}

LOOPCERT_CASE("lifecycle.is_running.inside_signal_callbacks", clauses("LOOP-ISRUNNING", "LOOP-SIGNAL-ADD")) {
  is_running_inside(ctx, "add_signal_handler()", [](AbstractEventLoop& loop, Callback ask) {
    loop.add_signal_handler(SIGUSR1, std::move(ask));
    loop.call_soon([] { ::raise(SIGUSR1); });
    return [&loop] { loop.remove_signal_handler(SIGUSR1); };
  });
}
