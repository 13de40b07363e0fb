// Error handling (PEP 3156, "Error Handling" and "Exceptions"): an
// exception raised by a callback reaches the loop's exception handler, and
// the loop goes on (decision D-ERR-1: every std::exception is Python's
// Exception family).
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

using conformance::ExceptionLog;

LOOPCERT_CASE("errors.callback_exception.reaches_handler",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "LOOP-ERR-HANDLER-RECEIVES")) {
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  bool later_ran = false;
  loop->call_soon([] { throw std::runtime_error("raised by a callback"); });
  loop->call_soon([&] {
    later_ran = true;
    loop->stop();
  });
  ctx.run_forever(*loop, "a callback that throws, then one that stops the loop");
  REQUIRE_EQUAL(log.contexts.size(), std::size_t{1},
                "the callback's exception reaches the exception handler once");
  CHECK_EQUAL(log.whats().front(), std::string("raised by a callback"),
              "the handler's context carries the exception the callback raised");
  CHECK_THAT(later_ran, "the loop keeps running callbacks after one raised");
}

LOOPCERT_CASE("errors.exception_handler.get_set", clauses("LOOP-ERR-GET-SET")) {
  // The initial value is not asserted (decision D-ERR-2).
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  ExceptionHandler got = loop->get_exception_handler();
  REQUIRE_THAT(static_cast<bool>(got), "get_exception_handler() returns the handler set");
  ExceptionContext context;
  context.message = "through the getter";
  got(*loop, context);
  CHECK_THAT(log.messages() == std::vector<std::string>{"through the getter"},
             "the handler get_exception_handler() returns is the one set");
  loop->set_exception_handler(nullptr);
  CHECK_THAT(!loop->get_exception_handler(), "set_exception_handler(None) removes the handler");
}

LOOPCERT_CASE("errors.call_exception_handler.dispatch", clauses("LOOP-ERR-CALL", "LOOP-ERR-DEFAULT-USED")) {
  auto loop = ctx.new_loop();
  ExceptionContext context;
  context.message = "reported by third-party code";
  context.exception = std::make_exception_ptr(std::logic_error("the cause"));
  bool default_ok = true;
  try {
    loop->call_exception_handler(context);  // no handler: the default one logs it
    loop->default_exception_handler(context);
  } catch (...) {
    default_ok = false;
  }
  CHECK_THAT(default_ok,
             "with no handler set, call_exception_handler() uses the default handler, which returns");
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  loop->call_exception_handler(context);
  CHECK_THAT(log.messages() == std::vector<std::string>{"reported by third-party code"} &&
                 log.whats() == std::vector<std::string>{"the cause"},
             "call_exception_handler(context) passes the context to the handler set");
}
