// Subprocesses (PEP 3156, "Pipes and subprocesses"; optional: Category
// pipes_subprocesses): subprocess_shell() and subprocess_exec(), the
// SubprocessTransport and the SubprocessProtocol.
//
// The children are /bin/sh, /bin/cat, /bin/echo, /usr/bin/env, /bin/true and
// /bin/false, each short-lived. A case waits for process_exited() and the
// end of the output pipes, never for time; a child that must outlive a
// step reads a pipe of the case's own, so that it runs exactly until the
// case lets it go. A case that ends early kills and reaps its children
// (Child's destructor). How the loop learns of an exit is its own business
// (decision D-PIPE-1): no case installs a signal handler.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"

using namespace pep3156;
using conformance::write_all;
using pipe_support::make_pipe;
using pipe_support::Pipe;

namespace {

/// A subprocess protocol that records every call.
struct ChildRecorder final : SubprocessProtocol {
  std::vector<std::string> calls;
  std::array<std::string, 3> output;  // by fd: stdout, stderr
  std::array<int, 3> pipes_lost{};    // pipe_connection_lost() calls by fd
  bool bad_data = false;              // empty data, or an fd other than 1 and 2
  bool bad_fd = false;                // pipe_connection_lost() for an fd other than 0, 1 and 2
  std::shared_ptr<BaseTransport> transport;
  std::optional<int> returncode_at_exit;
  std::exception_ptr lost_with;

  void connection_made(std::shared_ptr<BaseTransport> made) override {
    calls.push_back("connection_made");
    transport = std::move(made);
  }
  void pipe_data_received(int fd, BytesView data) override {
    calls.push_back("pipe_data_received");
    if (data.empty() || (fd != 1 && fd != 2)) {
      bad_data = true;
      return;
    }
    output[static_cast<std::size_t>(fd)] += as_text(data);
  }
  void pipe_connection_lost(int fd, std::exception_ptr) override {
    calls.push_back("pipe_connection_lost");
    if (fd < 0 || fd > 2) {
      bad_fd = true;
      return;
    }
    ++pipes_lost[static_cast<std::size_t>(fd)];
  }
  void process_exited() override {
    calls.push_back("process_exited");
    if (auto* subprocess = dynamic_cast<SubprocessTransport*>(transport.get()))
      returncode_at_exit = subprocess->get_returncode();
  }
  void connection_lost(std::exception_ptr exc) override {
    calls.push_back("connection_lost");
    lost_with = exc;
  }
  void pause_writing() override { calls.push_back("pause_writing"); }
  void resume_writing() override { calls.push_back("resume_writing"); }

  int exits() const { return pipe_support::count(calls, "process_exited"); }
  bool lost() const { return pipe_support::count(calls, "connection_lost") > 0; }
};

/// "None" or the number: a return code as the messages show it.
std::string text(std::optional<int> returncode) {
  return returncode ? std::to_string(*returncode) : std::string("None");
}

/// One child of the loop under test, started by exec() or shell().
class Child {
 public:
  Child(conformance::Context& ctx, AbstractEventLoop& loop) : ctx_(ctx), loop_(loop) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// The case ended before the child did (a failed REQUIRE, an exception):
  /// it must not outlive the case, nor stay a zombie.
  ~Child() {
    if (pid_ <= 0 || protocol->exits() > 0) return;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == 0) {  // still ours, not reaped yet
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }

  void exec(std::vector<std::string> args, SubprocessOptions options = {}) {
    note_pipes(options);
    start(loop_.subprocess_exec(factory(), std::move(args), std::move(options)), "subprocess_exec()");
  }
  void shell(std::string command, SubprocessOptions options = {}) {
    note_pipes(options);
    start(loop_.subprocess_shell(factory(), std::move(command), std::move(options)), "subprocess_shell()");
  }

  void run_until(std::function<bool()> done, std::string waiting_for) {
    conformance::run_until(ctx_, loop_, std::move(done), std::move(waiting_for));
  }

  bool exited() const { return protocol->exits() > 0; }
  /// Whether every output pipe the child has reported pipe_connection_lost().
  bool outputs_ended() const {
    return (!pipe_[1] || protocol->pipes_lost[1] > 0) && (!pipe_[2] || protocol->pipes_lost[2] > 0);
  }
  const std::string& out(int fd) const { return protocol->output[static_cast<std::size_t>(fd)]; }
  std::shared_ptr<WriteTransport> stdin_pipe() const {
    auto pipe = std::dynamic_pointer_cast<WriteTransport>(transport->get_pipe_transport(0));
    REQUIRE_THAT(pipe != nullptr, "get_pipe_transport(0) is a writing transport to the child's stdin");
    return pipe;
  }

  /// Waits for the exit and the end of the output pipes, then closes the
  /// transport (which owns the pipes) and waits for connection_lost().
  void finish() {
    run_until([this] { return exited() && outputs_ended(); },
              "the child to exit and its output pipes to end");
    if (!protocol->lost()) transport->close();
    run_until([this] { return protocol->lost(); }, "connection_lost() of the subprocess protocol");
  }

  std::shared_ptr<ChildRecorder> protocol = std::make_shared<ChildRecorder>();
  std::shared_ptr<SubprocessTransport> transport;
  std::shared_ptr<SubprocessProtocol> returned_protocol;  // the pair's second half
  int factory_calls = 0;

 private:
  SubprocessProtocolFactory factory() {
    return [this]() -> std::shared_ptr<SubprocessProtocol> {
      ++factory_calls;
      return protocol;
    };
  }
  void note_pipes(const SubprocessOptions& options) {
    pipe_[1] = options.stdout_.kind == Stdio::Kind::pipe;
    pipe_[2] = options.stderr_.kind == Stdio::Kind::pipe;
  }
  void start(const Future<SubprocessConnection>& started, const std::string& method) {
    auto connection = ctx_.run_until_complete(loop_, started, method);
    transport = connection.first;
    returned_protocol = connection.second;
    REQUIRE_THAT(transport != nullptr, method + " completes with a (transport, protocol) pair");
    pid_ = transport->get_pid();
  }

  conformance::Context& ctx_;
  AbstractEventLoop& loop_;
  std::array<bool, 3> pipe_{};
  int pid_ = 0;
};

/// The child's stdin is `gate`'s read end, a pipe of the case's own: /bin/cat
/// then runs until the case closes gate.write or a signal ends it, whatever
/// the loop does with its own pipes.
void start_gated_cat(Child& child, Pipe& gate) {
  pipe_support::set_blocking(gate.read.get());
  SubprocessOptions options;
  options.stdin_ = Stdio::from_fd(gate.read.get());
  child.exec({"/bin/cat"}, options);
  gate.read.reset();  // the child has its own copy
}

/// A signal the case sends must reach the child: one the case process
/// ignores would stay ignored across exec, one it blocks would stay blocked.
void require_deliverable(conformance::Context& ctx, int sig) {
  struct sigaction action {};
  sigset_t blocked;
  ::sigaction(sig, nullptr, &action);
  ::pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  if (action.sa_handler == SIG_IGN || ::sigismember(&blocked, sig) == 1)
    ctx.unresolved(conformance::str("signal ", sig, " is ignored or blocked in the case process"));
}

void check_sequence(const ChildRecorder& protocol) {
  std::string problem = pipe_support::sequence_problem(protocol.calls);
  CHECK_THAT(problem.empty(), problem);
}

std::shared_ptr<BaseTransport> as_base(std::shared_ptr<BaseTransport> transport) { return transport; }

}  // namespace

// --- Creating a subprocess ---------------------------------------------------

LOOPCERT_CASE("subprocesses.exec.factory_called_once",
              clauses("LOOP-PIPE-FACTORY-ONCE", "LOOP-PIPE-RESULT-PAIR", "LOOP-SUBPROC-TYPES")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/true"});
  CHECK_EQUAL(child.factory_calls, 1, "subprocess_exec() calls protocol_factory exactly once");
  CHECK_THAT(child.returned_protocol == child.protocol,
             "the pair's protocol is the one protocol_factory returned");
  child.finish();
  CHECK_THAT(child.protocol->transport == as_base(child.transport),
             "the pair's transport, a SubprocessTransport, is the protocol's transport");
  CHECK_EQUAL(child.factory_calls, 1, "protocol_factory is called exactly once, never again later");
}

LOOPCERT_CASE("subprocesses.shell.factory_called_once",
              clauses("LOOP-PIPE-FACTORY-ONCE", "LOOP-PIPE-RESULT-PAIR", "LOOP-SUBPROC-TYPES")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.shell("exit 0");
  CHECK_EQUAL(child.factory_calls, 1, "subprocess_shell() calls protocol_factory exactly once");
  CHECK_THAT(child.returned_protocol == child.protocol,
             "the pair's protocol is the one protocol_factory returned");
  child.finish();
  CHECK_THAT(child.protocol->transport == as_base(child.transport),
             "the pair's transport, a SubprocessTransport, is the protocol's transport");
  CHECK_EQUAL(child.factory_calls, 1, "protocol_factory is called exactly once, never again later");
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

// --- Signals and close() ------------------------------------------------------------

LOOPCERT_CASE("subprocesses.signals.kill", clauses("TR-SUBPROC-SIGNALS")) {
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  Child child(ctx, *loop);
  start_gated_cat(child, gate);
  child.transport->kill();
  child.finish();
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), std::to_string(-SIGKILL),
              "kill() kills the child: its return code is -SIGKILL");
}

LOOPCERT_CASE("subprocesses.signals.terminate", clauses("TR-SUBPROC-SIGNALS")) {
  require_deliverable(ctx, SIGTERM);
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  Child child(ctx, *loop);
  start_gated_cat(child, gate);
  child.transport->terminate();
  child.finish();
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), std::to_string(-SIGTERM),
              "terminate() sends SIGTERM: the child's return code is -SIGTERM");
}

LOOPCERT_CASE("subprocesses.signals.send_signal", clauses("TR-SUBPROC-SIGNALS")) {
  require_deliverable(ctx, SIGUSR1);
  auto loop = ctx.new_loop();
  auto gate = make_pipe();
  Child child(ctx, *loop);
  start_gated_cat(child, gate);
  child.transport->send_signal(SIGUSR1);
  child.finish();
  CHECK_EQUAL(text(child.protocol->returncode_at_exit), std::to_string(-SIGUSR1),
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
