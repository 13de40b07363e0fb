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
// This file: the SubprocessTransport ("Subprocess Transports"): pid,
// return code, the pipes, signals and close().
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <sstream>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"
#include "conformance/subprocess_support.hpp"

using namespace pep3156;
using namespace subprocess_support;
using pipe_support::make_pipe;

// --- The transport: pid, return code, pipes ------------------------------------

LOOPCERT_CASE("subprocesses.pid.is_the_child", clauses("TR-SUBPROC-PID")) {
  // The shell is the child: $$ is its process id.
  auto loop = ctx.new_loop();
  Child by_exec(ctx, *loop);
  by_exec.exec({"/bin/sh", "-c", "echo $$"});
  by_exec.finish();
  CHECK_EQUAL(by_exec.out(1), std::to_string(by_exec.transport->get_pid()) + "\n",
              "get_pid() returns the process id of the subprocess (subprocess_exec)");
  Child by_shell(ctx, *loop);
  by_shell.shell("echo $$");
  by_shell.finish();
  CHECK_EQUAL(by_shell.out(1), std::to_string(by_shell.transport->get_pid()) + "\n",
              "get_pid() returns the process id of the subprocess (subprocess_shell)");
}

LOOPCERT_CASE("subprocesses.returncode.exit_status",
              clauses("TR-SUBPROC-RETURNCODE", "PROTO-SUBPROC-EXITED")) {
  auto loop = ctx.new_loop();
  {
    Child child(ctx, *loop);
    child.exec({"/bin/true"});
    child.finish();
    CHECK_EQUAL(text(child.protocol->returncode_at_exit), "0",
                "in process_exited(), get_returncode() gives the exit status (/bin/true)");
    CHECK_EQUAL(text(child.transport->get_returncode()), "0", "get_returncode() keeps the exit status");
  }
  {
    Child child(ctx, *loop);
    child.exec({"/bin/sh", "-c", "exit 42"});
    child.finish();
    CHECK_EQUAL(text(child.protocol->returncode_at_exit), "42",
                "in process_exited(), get_returncode() gives the exit status (exit 42)");
  }
  {
    Child child(ctx, *loop);
    child.exec({"/bin/false"});
    child.finish();
    auto status = child.protocol->returncode_at_exit;
    CHECK_THAT(status && *status > 0,
               "in process_exited(), get_returncode() gives /bin/false's non-zero status, "
               "not " +
                   text(status));
  }
}

LOOPCERT_CASE("subprocesses.returncode.none_while_running",
              clauses("TR-SUBPROC-RETURNCODE", "TR-SUBPROC-PIPE-TRANSPORT")) {
  // /bin/cat runs until its stdin ends; it echoes a line meanwhile.
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/cat"});
  CHECK_EQUAL(text(child.transport->get_returncode()), "None",
              "get_returncode() is None when the child starts");
  auto stdin_pipe = child.stdin_pipe();
  stdin_pipe->write("ping\n");
  child.run_until([&] { return child.out(1).size() >= 5; }, "/bin/cat to echo a line written to its stdin");
  CHECK_EQUAL(child.out(1), std::string("ping\n"),
              "a line written to stdin's pipe transport reaches the child");
  CHECK_EQUAL(text(child.transport->get_returncode()), "None",
              "get_returncode() is None while the child runs (/bin/cat still reads its stdin)");
  CHECK_EQUAL(child.protocol->exits(), 0, "process_exited() is not called while the child runs");
  stdin_pipe->write_eof();
  child.finish();
  CHECK_EQUAL(text(child.transport->get_returncode()), "0", "after the exit, get_returncode() is the status");
}

LOOPCERT_CASE("subprocesses.stdio.pipes_by_default",
              clauses("LOOP-SUBPROC-STDIO-DEFAULT-PIPE", "TR-SUBPROC-PIPE-TRANSPORT")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.shell("read line; echo \"out:$line\"; echo \"err:$line\" >&2");
  CHECK_THAT(std::dynamic_pointer_cast<ReadTransport>(child.transport->get_pipe_transport(1)) != nullptr,
             "by default stdout is a new pipe: get_pipe_transport(1) is a reading transport");
  CHECK_THAT(std::dynamic_pointer_cast<ReadTransport>(child.transport->get_pipe_transport(2)) != nullptr,
             "by default stderr is a new pipe: get_pipe_transport(2) is a reading transport");
  child.stdin_pipe()->write("hi\n");
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("out:hi\n"),
              "by default the child's stdin and stdout are pipes of ours");
  CHECK_EQUAL(child.out(2), std::string("err:hi\n"), "by default the child's stderr is a pipe of ours");
}

LOOPCERT_CASE("subprocesses.stdin.write_through_pipe_transport",
              clauses("TR-SUBPROC-PIPE-TRANSPORT", "TR-WRITE-PIPE-METHODS", "PROTO-SUBPROC-BASE-METHODS")) {
  // 256 KiB through /bin/cat: more than a pipe holds, so the stdin
  // transport buffers, and may call pause_writing()/resume_writing() on
  // the subprocess protocol (in pairs).
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/cat"});
  auto stdin_pipe = child.stdin_pipe();
  const std::string sent = pipe_support::pattern(256 << 10) + "tail-one|tail-two";
  for (std::size_t at = 0; at < (256 << 10); at += 1 << 16)
    stdin_pipe->write(std::string_view(sent).substr(at, 1 << 16));
  std::array<BytesView, 2> tail{as_bytes("tail-one"), as_bytes("|tail-two")};
  stdin_pipe->writelines(tail);
  stdin_pipe->write_eof();
  child.finish();
  CHECK_THAT(child.out(1) == sent,
             conformance::str("every byte written to stdin reaches the child, in order (", sent.size(),
                              " sent, ", child.out(1).size(), " echoed)"));
  CHECK_EQUAL(text(child.transport->get_returncode()), "0", "/bin/cat exits with 0 at the end of its stdin");
  check_sequence(*child.protocol);
}

LOOPCERT_CASE("subprocesses.pipe_transport.none_without_pipe", clauses("TR-SUBPROC-PIPE-TRANSPORT")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.stdin_ = Stdio::devnull();
  options.stderr_ = Stdio::devnull();
  child.exec({"/bin/cat"}, options);
  CHECK_THAT(child.transport->get_pipe_transport(0) == nullptr,
             "get_pipe_transport(0) is None: stdin is no pipe");
  CHECK_THAT(child.transport->get_pipe_transport(2) == nullptr,
             "get_pipe_transport(2) is None: stderr is no pipe");
  CHECK_THAT(std::dynamic_pointer_cast<ReadTransport>(child.transport->get_pipe_transport(1)) != nullptr,
             "get_pipe_transport(1) is a reading transport for the stdout pipe");
  child.finish();
  CHECK_EQUAL(child.out(1), std::string(), "/bin/cat reading /dev/null prints nothing");
}

LOOPCERT_CASE("subprocesses.stdout.pause_reading_holds_output",
              clauses("TR-READ-PIPE-METHODS", "TR-SUBPROC-PIPE-TRANSPORT")) {
  // stdout's pipe transport is paused before the child writes to it; each
  // line the case sends comes back on stderr, a chance for the loop to
  // deliver stdout's data, which it must not take.
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.shell("read a; echo out; echo \"$a\" >&2; while read b; do echo \"$b\" >&2; done");
  auto stdout_pipe = std::dynamic_pointer_cast<ReadTransport>(child.transport->get_pipe_transport(1));
  REQUIRE_THAT(stdout_pipe != nullptr, "get_pipe_transport(1) is a reading transport for stdout");
  stdout_pipe->pause_reading();
  auto stdin_pipe = child.stdin_pipe();
  std::string echoed;
  for (char round : std::string("123")) {
    stdin_pipe->write(std::string{round, '\n'});
    echoed += std::string{round, '\n'};
    child.run_until([&] { return child.out(2).size() >= echoed.size(); }, "a line echoed on stderr");
  }
  CHECK_EQUAL(child.out(2), echoed, "stderr's pipe transport delivers while stdout's is paused");
  CHECK_EQUAL(child.out(1), std::string(),
              "pipe_data_received(1, ...) is not called between pause_reading() and resume_reading()");
  stdout_pipe->resume_reading();
  stdin_pipe->write_eof();
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("out\n"), "resume_reading() delivers the output held while paused");
}

LOOPCERT_CASE("subprocesses.pipe_data.stdout_and_stderr", clauses("PROTO-SUBPROC-PIPE-DATA")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.shell("echo out; echo err >&2; echo more");
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("out\nmore\n"), "stdout arrives as pipe_data_received(1, data)");
  CHECK_EQUAL(child.out(2), std::string("err\n"), "stderr arrives as pipe_data_received(2, data)");
  CHECK_THAT(!child.protocol->bad_data, "pipe_data_received() gets fd 1 or 2 and non-empty data");
}

LOOPCERT_CASE("subprocesses.stderr.to_stdout",
              clauses("LOOP-SUBPROC-STDERR-STDOUT", "TR-SUBPROC-PIPE-TRANSPORT")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.stderr_ = Stdio::to_stdout();
  child.shell("echo a; echo b >&2; echo c", options);
  CHECK_THAT(child.transport->get_pipe_transport(2) == nullptr,
             "get_pipe_transport(2) is None: with stderr=STDOUT there is no stderr pipe");
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("a\nb\nc\n"),
              "with stderr=STDOUT, stderr goes to the stdout pipe (pipe_data_received(1, ...)), in order");
  CHECK_EQUAL(child.out(2), std::string(), "with stderr=STDOUT, nothing arrives as fd 2");
  CHECK_EQUAL(child.protocol->pipes_lost[2], 0, "with stderr=STDOUT, there is no stderr pipe to lose");
}

// --- Signals and close() ------------------------------------------------------------

namespace {
/// kill(), terminate() and send_signal() each end a running child with
/// their signal, which its return code then names: the same check for each.
void check_signal_ends_child(conformance::Context& ctx, int sig,
                             const std::function<void(SubprocessTransport&)>& send, const std::string& what) {
  require_deliverable(ctx, sig);
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  Child child(ctx, *loop);
  start_gated_cat(child, gate);
  send(*child.transport);
  child.finish();
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), std::to_string(-sig), what);
}
}  // namespace

LOOPCERT_CASE("subprocesses.signals.kill", clauses("TR-SUBPROC-SIGNALS")) {
  check_signal_ends_child(ctx, SIGKILL, &SubprocessTransport::kill,
                          "kill() kills the child: its return code is -SIGKILL");
}

LOOPCERT_CASE("subprocesses.signals.terminate", clauses("TR-SUBPROC-SIGNALS")) {
  check_signal_ends_child(ctx, SIGTERM, &SubprocessTransport::terminate,
                          "terminate() sends SIGTERM: the child's return code is -SIGTERM");
}

LOOPCERT_CASE("subprocesses.signals.send_signal", clauses("TR-SUBPROC-SIGNALS")) {
  check_signal_ends_child(
      ctx, SIGUSR1, [](SubprocessTransport& transport) { transport.send_signal(SIGUSR1); },
      "send_signal(SIGUSR1) sends it to the child, which dies of it: return code -SIGUSR1");
}

LOOPCERT_CASE("subprocesses.close.terminates_running_child", clauses("TR-SUBPROC-CLOSE")) {
  // Decision D-TR-7: close() sends SIGTERM to a child that still runs; the
  // protocol still gets process_exited() and connection_lost().
  require_deliverable(ctx, SIGTERM);
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  Child child(ctx, *loop);
  start_gated_cat(child, gate);
  child.transport->close();
  child.run_until([&] { return child.exited() && child.protocol->lost(); },
                  "process_exited() and connection_lost() after close()");
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), std::to_string(-SIGTERM),
              "close() is an alias for terminate(): the child dies of SIGTERM");
  check_sequence(*child.protocol);
}

LOOPCERT_CASE("subprocesses.close.after_exit_sends_nothing", clauses("TR-SUBPROC-CLOSE")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/true"});
  child.run_until([&] { return child.exited() && child.outputs_ended(); }, "/bin/true to exit");
  try {
    child.transport->close();
  } catch (...) {
    ctx.check(false, "",
              "close() after the child exited raises nothing, not " +
                  conformance::Context::describe_current_exception());
  }
  child.run_until([&] { return child.protocol->lost(); }, "connection_lost() after close()");
  CHECK_EQUAL(text(child.transport->get_returncode()), "0",
              "close() after the exit leaves the return code as it was");
}
