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
// This file: creating a subprocess, subprocess_exec() and
// subprocess_shell(), and the options passed to process creation.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"
#include "conformance/subprocess_support.hpp"

using namespace pep3156;
using namespace subprocess_support;

// --- Creating a subprocess ---------------------------------------------------

namespace {
/// subprocess_exec() and subprocess_shell() call protocol_factory exactly
/// once and complete with the pair of the transport and that protocol: the
/// same check for each, `start` being one of the two calls.
void check_factory_called_once(conformance::Context& ctx, const std::string& method,
                               const std::function<void(Child&)>& start) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  start(child);
  CHECK_EQUAL(child.factory_calls, 1, method + " calls protocol_factory exactly once");
  CHECK_THAT(child.returned_protocol == child.protocol,
             "the pair's protocol is the one protocol_factory returned");
  child.finish();
  CHECK_THAT(child.protocol->transport == as_base(child.transport),
             "the pair's transport, a SubprocessTransport, is the protocol's transport");
  CHECK_EQUAL(child.factory_calls, 1, "protocol_factory is called exactly once, never again later");
}
}  // namespace

LOOPCERT_CASE("subprocesses.exec.factory_called_once",
              clauses("LOOP-PIPE-FACTORY-ONCE", "LOOP-PIPE-RESULT-PAIR", "LOOP-SUBPROC-TYPES")) {
  check_factory_called_once(ctx, "subprocess_exec()", [](Child& child) { child.exec({"/bin/true"}); });
}

LOOPCERT_CASE("subprocesses.shell.factory_called_once",
              clauses("LOOP-PIPE-FACTORY-ONCE", "LOOP-PIPE-RESULT-PAIR", "LOOP-SUBPROC-TYPES")) {
  check_factory_called_once(ctx, "subprocess_shell()", [](Child& child) { child.shell("exit 0"); });
}

LOOPCERT_CASE("subprocesses.exec.missing_program_fails", clauses("LOOP-PIPE-RESULT-PAIR")) {
  // Popen raises when the program cannot be executed; the method fails with
  // an exception, thrown or through its Future (decision D-TIER-3).
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  bool raised = false;
  try {
    child.exec({"/nonexistent/loopcert-no-such-program"});
  } catch (const std::exception&) {
    raised = true;
  }
  if (!raised) child.finish();
  CHECK_THAT(raised,
             "subprocess_exec() of a program that does not exist fails with an exception, not with a "
             "(transport, protocol) pair");
}

LOOPCERT_CASE("subprocesses.exec.arguments_are_argv",
              clauses("LOOP-SUBPROC-EXEC", "PROTO-SUBPROC-PIPE-DATA")) {
  // No shell: spaces, globs, variables and separators reach the program as
  // they are.
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/echo", "two  spaces", "*", "$HOME", ";", "'q'"});
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("two  spaces * $HOME ; 'q'\n"),
              "subprocess_exec() passes each argument to the program as one argv entry, uninterpreted");
  CHECK_EQUAL(text(child.transport->get_returncode()), "0", "/bin/echo exits with status 0");
}

LOOPCERT_CASE("subprocesses.exec.first_argument_is_the_program", clauses("LOOP-SUBPROC-EXEC")) {
  // sh -c SCRIPT NAME ARG: the script sees NAME as $0 and ARG as $1.
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/sh", "-c", "echo \"$0|$1|$#\"", "zero", "one two"});
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("zero|one two|1\n"),
              "the first string is the program, the others its arguments, in order");
}

LOOPCERT_CASE("subprocesses.shell.runs_shell_syntax", clauses("LOOP-SUBPROC-SHELL")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.shell("x='shell words'; echo \"$x\" | /bin/cat; exit 3");
  child.finish();
  CHECK_EQUAL(child.out(1), std::string("shell words\n"),
              "subprocess_shell() runs the command with the shell: variables, quoting, pipelines");
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), "3", "the shell's exit status is the child's");
}

LOOPCERT_CASE("subprocesses.shell_and_exec.behave_the_same", clauses("LOOP-SUBPROC-TYPES")) {
  auto loop = ctx.new_loop();
  Child by_shell(ctx, *loop);
  by_shell.shell("/bin/echo same");
  by_shell.finish();
  Child by_exec(ctx, *loop);
  by_exec.exec({"/bin/echo", "same"});
  by_exec.finish();
  CHECK_EQUAL(by_shell.out(1), by_exec.out(1), "the same program prints the same through either method");
  CHECK_EQUAL(text(by_shell.transport->get_returncode()), text(by_exec.transport->get_returncode()),
              "the same program exits with the same status through either method");
  CHECK_THAT(by_shell.protocol->pipes_lost == by_exec.protocol->pipes_lost,
             "the same pipes end (pipe_connection_lost()) through either method");
  CHECK_EQUAL(by_shell.protocol->exits(), by_exec.protocol->exits(),
              "process_exited() is called through either method alike");
}

// --- Options passed to process creation ----------------------------------------

LOOPCERT_CASE("subprocesses.options.cwd", clauses("LOOP-SUBPROC-PASSTHROUGH")) {
  char made[] = "/tmp/loopcert-cwd-XXXXXX";
  if (::mkdtemp(made) == nullptr) ctx.unresolved("could not make a directory in /tmp");
  struct RemoveDir {
    const char* path;
    ~RemoveDir() { ::rmdir(path); }
  } remove_dir{made};
  char* real = ::realpath(made, nullptr);
  std::string expected = real != nullptr ? real : made;
  ::free(real);
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.cwd = std::string(made);
  child.exec({"/bin/sh", "-c", "pwd -P"}, options);
  child.finish();
  CHECK_EQUAL(child.out(1), expected + "\n", "cwd is passed to process creation: the child runs in it");
}

LOOPCERT_CASE("subprocesses.options.env", clauses("LOOP-SUBPROC-PASSTHROUGH")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  SubprocessOptions options;
  options.env = std::map<std::string, std::string>{{"LOOPCERT_A", "1"}, {"LOOPCERT_B", "two words"}};
  child.exec({"/usr/bin/env"}, options);
  child.finish();
  std::vector<std::string> lines;
  std::istringstream printed(child.out(1));
  for (std::string line; std::getline(printed, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  CHECK_EQUAL(pipe_support::joined(lines), pipe_support::joined({"LOOPCERT_A=1", "LOOPCERT_B=two words"}),
              "env is passed to process creation: it is the child's whole environment");
}
