// Subprocesses (PEP 3156, "Pipes and subprocesses"; optional: Category
// pipes_subprocesses).
//
// The children are /bin/sh, /bin/cat, /bin/echo, /usr/bin/env, /bin/true and
// /bin/false, each short-lived. A case waits for process_exited() and the
// end of the output pipes, never for time; a child that must outlive a
// step reads a pipe of the case's own, so that it runs exactly until the
// case lets it go. A case that ends early kills and reaps its children
// (Child's destructor). How the loop learns of an exit is its own business
// (decision D-PIPE-1): no case installs a signal handler.
//
// This file: the SubprocessProtocol's calls ("Subprocess Protocol").
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"
#include "conformance/subprocess_support.hpp"

using namespace pep3156;
using namespace subprocess_support;
using conformance::write_all;
using pipe_support::make_pipe;

// --- The protocol's calls -------------------------------------------------------------

LOOPCERT_CASE("subprocesses.protocol.call_sequence",
              clauses("PROTO-SUBPROC-BASE-METHODS", "PROTO-SUBPROC-EXITED")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.stdin_ = Stdio::devnull();
  child.shell("echo x; echo y >&2", options);
  child.finish();
  check_sequence(*child.protocol);
  CHECK_THAT(child.protocol->transport == as_base(child.transport),
             "connection_made() receives the subprocess transport");
  CHECK_THAT(child.protocol->lost_with == nullptr,
             "connection_lost(None) after the child exited and close()");
  CHECK_EQUAL(child.protocol->exits(), 1, "process_exited() is called once, when the child exits");
}

LOOPCERT_CASE("subprocesses.pipe_lost.output_closed_while_running", clauses("PROTO-SUBPROC-PIPE-LOST")) {
  // The child closes its stdout and stderr, then waits for a line on stdin.
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.shell("exec 1>&- 2>&-; read line");
  child.run_until([&] { return child.protocol->pipes_lost[1] > 0 && child.protocol->pipes_lost[2] > 0; },
                  "pipe_connection_lost(1) and (2) after the child closed its stdout and stderr");
  CHECK_EQUAL(child.protocol->exits(), 0, "the child still runs: it closed its pipes, it did not exit");
  child.stdin_pipe()->write("go\n");
  child.finish();
  CHECK_THAT(child.protocol->pipes_lost[1] == 1 && child.protocol->pipes_lost[2] == 1,
             "pipe_connection_lost() is called once for stdout and once for stderr");
  CHECK_EQUAL(text(child.transport->get_returncode()), "0", "the child exits once it has read its line");
}

LOOPCERT_CASE("subprocesses.pipe_lost.stdin_closed_while_running", clauses("PROTO-SUBPROC-PIPE-LOST")) {
  // The child closes its stdin, then waits for a line on its stderr, which
  // is a pipe of the case's own.
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  pipe_support::set_blocking(gate.read.get());
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.stderr_ = Stdio::from_fd(gate.read.get());
  child.shell("exec 0<&-; read line <&2", options);
  gate.read.reset();
  child.run_until([&] { return child.protocol->pipes_lost[0] > 0; },
                  "pipe_connection_lost(0) after the child closed its stdin");
  CHECK_EQUAL(child.protocol->exits(), 0, "the child still runs: it closed its stdin, it did not exit");
  write_all(gate.write.get(), "go\n", 3);
  child.finish();
  CHECK_EQUAL(child.protocol->pipes_lost[0], 1, "pipe_connection_lost(0, ...) is called once");
}

LOOPCERT_CASE("subprocesses.pipe_lost.all_closed_child_runs_on",
              clauses("PROTO-SUBPROC-PIPE-LOST", "PROTO-SUBPROC-EXITED")) {
  // The child closes all three pipes and waits on a pipe of the case's own,
  // opened through /dev/fd (a POSIX shell redirects only fds 0 to 9, and the
  // case process may hold all of them). All three pipe_connection_lost()
  // calls come without process_exited(): the child has not exited.
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  pipe_support::set_blocking(gate.read.get());
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.pass_fds = {gate.read.get()};
  child.shell(conformance::str("exec 0<&- 1>&- 2>&-; read line </dev/fd/", gate.read.get()), options);
  gate.read.reset();
  const auto& lost = child.protocol->pipes_lost;
  child.run_until([&] { return lost[0] > 0 && lost[1] > 0 && lost[2] > 0; },
                  "pipe_connection_lost() for stdin, stdout and stderr, all closed by the child");
  CHECK_EQUAL(child.protocol->exits(), 0, "process_exited() is not called while the child runs");
  CHECK_EQUAL(text(child.transport->get_returncode()), "None",
              "get_returncode() is None while the child runs");
  write_all(gate.write.get(), "go\n", 3);
  child.finish();
  CHECK_EQUAL(child.protocol->exits(), 1, "process_exited() is called once the child exits");
  CHECK_THAT(lost[0] == 1 && lost[1] == 1 && lost[2] == 1, "pipe_connection_lost() is called once per pipe");
}

LOOPCERT_CASE("subprocesses.exited.any_order_with_pipe_lost",
              clauses("PROTO-SUBPROC-ORDER-UNDEFINED").tolerance()) {
  // The child exits and so closes its pipes: process_exited() and the
  // pipe_connection_lost() calls may come in any order; each comes once.
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.stdin_ = Stdio::devnull();
  child.shell("echo bye; exit 5", options);
  child.finish();
  CHECK_EQUAL(child.protocol->exits(), 1, "process_exited() is called once");
  CHECK_THAT(child.protocol->pipes_lost[1] == 1 && child.protocol->pipes_lost[2] == 1,
             "pipe_connection_lost() is called once for stdout and once for stderr");
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), "5",
              "get_returncode() gives the status in process_exited()");
  CHECK_EQUAL(child.out(1), std::string("bye\n"), "the output arrives whatever the order of the calls");
}
