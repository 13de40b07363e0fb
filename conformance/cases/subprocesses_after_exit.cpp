// Subprocesses (PEP 3156, "Subprocess Transports", "Subprocess Protocols"):
// what still works once the child has exited.
//
// - Output the child wrote before it exited is delivered in full, however
//   late the loop reads it (PROTO-SUBPROC-PIPE-DATA).
// - Writing to the stdin of a child that has exited meets a broken pipe:
//   the loop reports it (pipe_connection_lost(0, ...), or an EPIPE error
//   from write()) and the case's process lives on; a SIGPIPE would kill it.
// - send_signal(), terminate(), kill() and close() after the loop reaped
//   the child do nothing to anyone (the pid may be another process's by
//   now) or raise an Exception (asyncio: ProcessLookupError); the protocol
//   sees no second process_exited().
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"
#include "conformance/stream_support.hpp"
#include "conformance/subprocess_support.hpp"

using namespace pep3156;
using namespace subprocess_support;
using pipe_support::make_pipe;
using stream_support::settle;

namespace {

/// Whether process `pid` has ended: a zombie, or already reaped (gone).
bool has_ended(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  if (!(stat >> pid_field >> name >> state)) return true;
  return state == "Z" || state == "X";
}

/// Calls a method of a transport whose child the loop has reaped, which
/// may raise an Exception but nothing worse.
void after_reaping(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception&) {
    // asyncio raises ProcessLookupError; doing nothing is as good.
  }
}

}  // namespace

LOOPCERT_CASE("subprocesses.stdout.read_after_exit",
              clauses("PROTO-SUBPROC-PIPE-DATA", "PROTO-SUBPROC-EXITED")) {
  // The child waits for the case's gate, then writes less than a pipe holds
  // and exits; the loop reads none of it before the child has ended.
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  pipe_support::set_blocking(gate.read.get());
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.stdin_ = Stdio::from_fd(gate.read.get());
  child.shell("read line; head -c 60000 /dev/zero | tr '\\000' x", options);
  gate.read.reset();
  auto out = std::dynamic_pointer_cast<ReadTransport>(child.transport->get_pipe_transport(1));
  REQUIRE_THAT(out != nullptr, "get_pipe_transport(1) is a reading transport from the child's stdout");
  out->pause_reading();
  gate.write.reset();
  child.run_until([&] { return has_ended(child.transport->get_pid()); }, "the child to write and exit");
  out->resume_reading();
  child.finish();
  CHECK_EQUAL(child.out(1), std::string(60000, 'x'),
              "everything the child wrote before it exited arrives, read after the exit");
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), "0", "process_exited() with the child's status");
  check_sequence(*child.protocol);
}

LOOPCERT_CASE("subprocesses.stdin.write_after_exit_is_a_broken_pipe",
              clauses("PROTO-SUBPROC-PIPE-LOST", "TR-SUBPROC-PIPE-TRANSPORT")) {
  // SIGPIPE's default action, whatever loopcert set: a loop that lets the
  // write raise it kills this process.
  ::signal(SIGPIPE, SIG_DFL);
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/true"});
  child.run_until([&] { return child.exited() && child.outputs_ended(); }, "/bin/true to exit");
  auto in = child.stdin_pipe();
  // Once the stdin pipe's connection is lost (pipe_connection_lost(0)
  // before the write), write() may also raise anything (D-TR-2).
  bool lost_before_write = child.protocol->pipes_lost[0] > 0;
  try {
    in->write(std::string(100000, 'x'));
  } catch (const std::system_error& error) {
    CHECK_THAT(lost_before_write || error.code().value() == EPIPE,
               "write() to a dead child's stdin fails, if at all, with EPIPE");
  } catch (...) {
    if (!lost_before_write)
      ctx.fail("write() to a dead child's stdin raised " +
               conformance::Context::describe_current_exception());
  }
  child.run_until([&] { return child.protocol->pipes_lost[0] > 0; },
                  "pipe_connection_lost(0) for the exited child's stdin");
  child.finish();
  settle(ctx, *loop);
  CHECK_EQUAL(child.protocol->pipes_lost[0], 1, "pipe_connection_lost(0) once for the broken stdin pipe");
  check_sequence(*child.protocol);
}

LOOPCERT_CASE("subprocesses.signals.after_reaped", clauses("TR-SUBPROC-SIGNALS", "PROTO-SUBPROC-EXITED")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/true"});
  child.run_until([&] { return child.exited() && child.outputs_ended(); }, "/bin/true to exit");
  after_reaping([&] { child.transport->send_signal(SIGTERM); });
  after_reaping([&] { child.transport->terminate(); });
  after_reaping([&] { child.transport->kill(); });
  child.finish();
  settle(ctx, *loop);
  CHECK_EQUAL(child.protocol->exits(), 1, "process_exited() once, whatever was sent after it");
  CHECK_EQUAL(text(child.transport->get_returncode()), "0", "the return code stays the child's exit status");
  check_sequence(*child.protocol);
}
