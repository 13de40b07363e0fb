// The optional categories a loop does not declare (PEP 3156, "Event Loop
// Methods Overview": "If not supported, they will raise
// NotImplementedError"). Each case runs only when its category is NOT
// declared; a declared category is checked by its own cases instead.
//
// A method "returning a coroutine" may also return a Future (PEP 3156,
// "Interoperability"), so NotImplementedError may come either from the call
// or from the Future it returns; both pass.
#include <signal.h>

#include <functional>
#include <string>

#include "conformance/conformance.hpp"

using namespace pep3156;

namespace {
/// Checks that `call` raises NotImplementedError, directly or through the
/// Future it returns.
template <class F>
void expect_not_implemented(conformance::Context& ctx, AbstractEventLoop& loop, const std::string& method,
                            F call) {
  try {
    auto future = call();
    try {
      ctx.run_until_complete(loop, future, method + "'s Future");
    } catch (const NotImplementedError&) {
      return;
    }
    ctx.check(false, "",
              method + " raises NotImplementedError: it returned a Future that did not fail with it");
  } catch (const NotImplementedError&) {
  } catch (...) {
    ctx.check(
        false, "",
        method + " raises NotImplementedError, not " + conformance::Context::describe_current_exception());
  }
}

/// The same for a method that returns no Future.
void expect_not_implemented_now(conformance::Context& ctx, const std::string& method,
                                const std::function<void()>& call) {
  ctx.expect_throw<NotImplementedError>(call, method + " on a loop that does not declare its category");
}

std::shared_ptr<Protocol> no_protocol() { return nullptr; }
}  // namespace

LOOPCERT_CASE("optional.io.not_implemented",
              clauses("TIER-OPTIONAL-NIE").only_without(Category::io_callbacks)) {
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  int fd = pair.first.get();
  expect_not_implemented_now(ctx, "add_reader()", [&] { loop->add_reader(fd, [] {}); });
  expect_not_implemented_now(ctx, "remove_reader()", [&] { loop->remove_reader(fd); });
  expect_not_implemented_now(ctx, "add_writer()", [&] { loop->add_writer(fd, [] {}); });
  expect_not_implemented_now(ctx, "remove_writer()", [&] { loop->remove_writer(fd); });
}

LOOPCERT_CASE("optional.pipes.not_implemented",
              clauses("TIER-OPTIONAL-NIE").only_without(Category::pipes_subprocesses)) {
  auto loop = ctx.new_loop();
  expect_not_implemented(ctx, *loop, "connect_read_pipe()", [&] {
    auto pair = conformance::socket_pair();
    return loop->connect_read_pipe(no_protocol, Socket(pair.first.release()));
  });
  expect_not_implemented(ctx, *loop, "connect_write_pipe()", [&] {
    auto pair = conformance::socket_pair();
    return loop->connect_write_pipe([] { return std::shared_ptr<BaseProtocol>(); },
                                    Socket(pair.first.release()));
  });
  expect_not_implemented(ctx, *loop, "subprocess_shell()", [&] {
    return loop->subprocess_shell([] { return std::shared_ptr<SubprocessProtocol>(); }, "true");
  });
  expect_not_implemented(ctx, *loop, "subprocess_exec()", [&] {
    return loop->subprocess_exec([] { return std::shared_ptr<SubprocessProtocol>(); }, {"true"});
  });
}

LOOPCERT_CASE("optional.signals.not_implemented",
              clauses("TIER-OPTIONAL-NIE").only_without(Category::signals)) {
  // For signals the PEP's own answer is RuntimeError ("if this particular
  // event loop instance cannot handle signals"), and NotImplementedError is
  // allowed "if these methods are statically known to be unsupported":
  // either passes (decisions D-TIER-1 and D-SIG-1).
  auto loop = ctx.new_loop();
  auto refuses = [&](const std::string& method, const std::function<void()>& call) {
    try {
      call();
    } catch (const NotImplementedError&) {
      return;
    } catch (const RuntimeError&) {
      return;
    } catch (...) {
      ctx.check(false, "",
                method + " raises NotImplementedError or RuntimeError, not " +
                    conformance::Context::describe_current_exception());
      return;
    }
    ctx.check(false, "", method + " raises NotImplementedError or RuntimeError; nothing was raised");
  };
  refuses("add_signal_handler()", [&] { loop->add_signal_handler(SIGUSR1, [] {}); });
  refuses("remove_signal_handler()", [&] { loop->remove_signal_handler(SIGUSR1); });
}
