// What the subprocess cases share (PEP 3156, "Pipes and Subprocesses"): a
// SubprocessProtocol that records every call, and Child, one child of the
// loop under test that never outlives its case.
//
// Header-only and written against spec/ alone, like the cases.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/pipe_support.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/transports.hpp"

namespace subprocess_support {

// The helpers were written for the cases, which use the contract's names
// unqualified.
using namespace pep3156;
using pipe_support::Pipe;

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
inline std::string text(std::optional<int> returncode) {
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
inline void start_gated_cat(Child& child, Pipe& gate) {
  pipe_support::set_blocking(gate.read.get());
  SubprocessOptions options;
  options.stdin_ = Stdio::from_fd(gate.read.get());
  child.exec({"/bin/cat"}, options);
  gate.read.reset();  // the child has its own copy
}

/// A signal the case sends must reach the child: one the case process
/// ignores would stay ignored across exec, one it blocks would stay blocked.
inline void require_deliverable(conformance::Context& ctx, int sig) {
  struct sigaction action {};
  sigset_t blocked;
  ::sigaction(sig, nullptr, &action);
  ::pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  if (action.sa_handler == SIG_IGN || ::sigismember(&blocked, sig) == 1)
    ctx.unresolved(conformance::str("signal ", sig, " is ignored or blocked in the case process"));
}

inline void check_sequence(const ChildRecorder& protocol) {
  std::string problem = pipe_support::sequence_problem(protocol.calls);
  CHECK_THAT(problem.empty(), problem);
}

inline std::shared_ptr<BaseTransport> as_base(std::shared_ptr<BaseTransport> transport) { return transport; }

}  // namespace subprocess_support
