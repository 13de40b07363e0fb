// Exceptions raised by callbacks, and the exception handler API (PEP 3156,
// "Error Handling" and "Exceptions"; decisions D-ERR-1, D-ERR-2, D-ERR-5):
// a std::exception from any kind of callback reaches the handler and the
// loop goes on; a BaseException is not swallowed.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::ExceptionLog;

namespace {
/// Runs the loop; an exception escaping run_forever() is a failed check
/// (the loop must keep running, not stop by raising).
void run_expecting_no_escape(conformance::Context& ctx, AbstractEventLoop& loop, std::string waiting_for) {
  try {
    ctx.run_forever(loop, std::move(waiting_for));
  } catch (const std::exception&) {
    ctx.fail("a callback's exception escaped run_forever(): " +
             conformance::Context::describe_current_exception());
  }
}
}  // namespace

LOOPCERT_CASE("errors.callback_exception.loop_keeps_running",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "LOOP-ERR-HANDLER-RECEIVES")) {
  // The callback schedules a timer, then raises: the timer runs in the same
  // run_forever(), so the exception neither ended the run nor stopped it.
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  bool later_ran = false;
  loop->call_soon([&] {
    loop->call_later(0.002, [&] {
      later_ran = true;
      loop->stop();
    });
    throw std::runtime_error("raised before the timer is due");
  });
  run_expecting_no_escape(ctx, *loop, "a timer scheduled by a callback that then raised");
  CHECK_THAT(later_ran, "after a callback raised, the loop keeps running: a timer due later still runs");
  CHECK_THAT(log.whats() == std::vector<std::string>{"raised before the timer is due"},
             "the exception reached the handler once");
}

LOOPCERT_CASE("errors.callback_exception.every_kind_reaches_handler",
              clauses("LOOP-ERR-HANDLER-RECEIVES", "LOOP-ERR-CALLBACK-EXC-LOGGED")) {
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  loop->call_soon([] { throw std::runtime_error("call_soon"); });
  loop->call_later(0.001, [] { throw std::runtime_error("call_later"); });
  loop->call_at(loop->time() + 0.002, [] { throw std::runtime_error("call_at"); });
  std::jthread poster(
      [&] { loop->call_soon_threadsafe([] { throw std::runtime_error("call_soon_threadsafe"); }); });
  conformance::join(ctx, poster, "a post from another thread");
  conformance::stop_when(*loop, [&] { return log.contexts.size() >= 4; });
  run_expecting_no_escape(ctx, *loop, "four callbacks of different kinds that raise");
  std::vector<std::string> whats = log.whats();
  std::sort(whats.begin(), whats.end());
  CHECK_THAT(
      whats == (std::vector<std::string>{"call_at", "call_later", "call_soon", "call_soon_threadsafe"}),
      "the exception of each kind of callback reaches the handler, once");
}

LOOPCERT_CASE(
    "errors.callback_exception.io_callbacks",
    clauses("LOOP-ERR-HANDLER-RECEIVES", "LOOP-ERR-CALLBACK-EXC-LOGGED").needs(Category::io_callbacks)) {
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  auto pair = conformance::socket_pair();
  conformance::write_all(pair.second.get(), "x", 1);
  int reader_fd = pair.first.get();
  int writer_fd = pair.second.get();
  loop->add_reader(reader_fd, [&] {
    loop->remove_reader(reader_fd);
    throw std::runtime_error("reader");
  });
  loop->add_writer(writer_fd, [&] {
    loop->remove_writer(writer_fd);
    throw std::runtime_error("writer");
  });
  conformance::stop_when(*loop, [&] { return log.contexts.size() >= 2; });
  run_expecting_no_escape(ctx, *loop, "a reader and a writer that raise");
  std::vector<std::string> whats = log.whats();
  std::sort(whats.begin(), whats.end());
  CHECK_THAT(whats == (std::vector<std::string>{"reader", "writer"}),
             "the exceptions of a reader and of a writer reach the handler");
}

LOOPCERT_CASE("errors.callback_exception.default_handler_goes_on",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "LOOP-ERR-DEFAULT-USED")) {
  // No handler set: the default one logs, and the loop goes on.
  auto loop = ctx.new_loop();
  bool later_ran = false;
  loop->call_soon([&] {
    loop->call_later(0.001, [&] {
      later_ran = true;
      loop->stop();
    });
    throw std::runtime_error("logged by the default handler (expected in this case's output)");
  });
  run_expecting_no_escape(ctx, *loop, "a timer after a callback raised, with the default handler");
  CHECK_THAT(later_ran, "with the default handler the loop keeps running after a callback raised");
}

LOOPCERT_CASE("errors.exception_handler.handler_that_raises",
              clauses("LOOP-ERR-CALLBACK-EXC-LOGGED", "LOOP-ERR-CALL")) {
  // A handler that raises itself does not end the run: the loop goes on
  // (decision D-ERR-2: the default handler reports both).
  auto loop = ctx.new_loop();
  int handler_calls = 0;
  loop->set_exception_handler([&](AbstractEventLoop&, const ExceptionContext&) {
    ++handler_calls;
    throw std::logic_error("raised by the exception handler (expected in this case's output)");
  });
  bool later_ran = false;
  loop->call_soon([&] {
    loop->call_later(0.001, [&] {
      later_ran = true;
      loop->stop();
    });
    throw std::runtime_error("raised by a callback");
  });
  run_expecting_no_escape(ctx, *loop, "a timer after a callback and the exception handler raised");
  CHECK_EQUAL(handler_calls, 1, "the handler was called for the callback's exception");
  CHECK_THAT(later_ran, "the loop keeps running after the exception handler itself raised");
}

LOOPCERT_CASE("errors.exception_handler.replace_and_reset",
              clauses("LOOP-ERR-GET-SET", "LOOP-ERR-DEFAULT-USED")) {
  auto loop = ctx.new_loop();
  ExceptionLog first;
  ExceptionLog second;
  loop->set_exception_handler(first.handler());
  loop->set_exception_handler(second.handler());
  loop->call_soon([] { throw std::runtime_error("with the second handler"); });
  loop->call_soon([&] {
    loop->set_exception_handler(nullptr);
    CHECK_THAT(!loop->get_exception_handler(), "set_exception_handler(None) leaves no handler set");
  });
  loop->call_soon(
      [] { throw std::runtime_error("with the default handler (expected in this case's output)"); });
  loop->call_later(0.001, [&] { loop->stop(); });
  run_expecting_no_escape(ctx, *loop, "callbacks raising under two handlers in turn");
  CHECK_THAT(first.contexts.empty(), "a replaced handler is no longer called");
  CHECK_THAT(second.whats() == std::vector<std::string>{"with the second handler"},
             "the handler set last receives the exceptions, until it is removed");
}

LOOPCERT_CASE("errors.exception_handler.may_call_the_default",
              clauses("LOOP-ERR-DEFAULT-USED", "LOOP-ERR-CALL")) {
  // A handler that passes the context on to default_exception_handler(),
  // and call_exception_handler() with a context that has no exception.
  auto loop = ctx.new_loop();
  int calls = 0;
  loop->set_exception_handler([&](AbstractEventLoop& running, const ExceptionContext& context) {
    ++calls;
    running.default_exception_handler(context);
  });
  ExceptionContext plain;
  plain.message = "a report without an exception (expected in this case's output)";
  bool returned = false;
  try {
    loop->call_exception_handler(plain);
    loop->default_exception_handler(ExceptionContext{});
    returned = true;
  } catch (...) {
  }
  CHECK_THAT(returned, "a handler may call default_exception_handler(), which returns, with any context");
  CHECK_EQUAL(calls, 1, "call_exception_handler() called the handler once");
}

// --- SHOULD clauses (advisory) -------------------------------------------------

LOOPCERT_CASE("errors.context.message_and_exception", clauses("LOOP-ERR-CONTEXT-KEYS")) {
  // Decision D-ERR-5: 'message' is non-empty and 'exception' is set when
  // there is one.
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  loop->call_soon([] { throw std::runtime_error("for the context"); });
  loop->call_soon([&] { loop->stop(); });
  run_expecting_no_escape(ctx, *loop, "a callback that raises");
  REQUIRE_EQUAL(log.contexts.size(), std::size_t{1}, "the handler was called once");
  CHECK_THAT(!log.contexts.front().message.empty(), "the context's message is not empty");
  CHECK_THAT(static_cast<bool>(log.contexts.front().exception), "the context carries the exception");
}

LOOPCERT_CASE("errors.base_exception.not_swallowed", clauses("LOOP-ERR-BASEEXCEPTION")) {
  // A BaseException from a callback (decision D-ERR-1): it propagates out of
  // run_forever() (asyncio's way), or it reaches the exception handler (the
  // PEP's text); silently dropping it fails.
  auto loop = ctx.new_loop();
  ExceptionLog log;
  loop->set_exception_handler(log.handler());
  loop->call_soon([] { throw SystemExit(3); });
  loop->call_soon([&] { loop->stop(); });
  bool propagated = false;
  try {
    ctx.run_forever(*loop, "a callback raising SystemExit");
  } catch (const SystemExit& e) {
    propagated = e.code() == 3;
  }
  bool handled =
      !log.contexts.empty() && conformance::exception_what(log.contexts.front().exception) == "SystemExit";
  CHECK_THAT(
      propagated || handled,
      "a BaseException from a callback propagates out of run_forever() or reaches the exception handler");
}

// --- Futures (library tier) -----------------------------------------------------

LOOPCERT_CASE("errors.future.exception_passes_through", clauses("LOOP-ERR-FUTURE-PASSTHROUGH")) {
  // "Exceptions ... will be passed through by Futures": the exception set on
  // a Future reaches result(), exception(), co_await and
  // run_until_complete(), as the same exception.
  struct Distinct : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  auto loop = ctx.new_loop();
  Future<int> failing = loop->create_future<int>();
  auto awaiter = [](Future<int> failing) -> Coroutine<std::string> {
    try {
      co_await failing;
    } catch (const Distinct& e) {
      co_return e.what();
    }
    co_return "nothing caught";
  };
  Task<std::string> task = loop->create_task(awaiter(failing));
  loop->call_soon([failing] { failing.set_exception(Distinct("passed through")); });
  CHECK_EQUAL(ctx.run_until_complete(*loop, task, "a Task awaiting a Future that fails"),
              std::string("passed through"),
              "co_await on a failed Future raises its exception in the coroutine");
  ctx.expect_throw<Distinct>([&] { failing.result(); }, "result() of a failed Future");
  CHECK_EQUAL(conformance::exception_what(failing.exception()), std::string("passed through"),
              "exception() returns the exception set");
  ctx.expect_throw<Distinct>([&] { ctx.run_until_complete(*loop, failing, "a failed Future"); },
                             "run_until_complete() of a failed Future");
}
