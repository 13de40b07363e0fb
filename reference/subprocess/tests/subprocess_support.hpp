// What the subprocess tests share: a SubprocessProtocol that records what
// it receives and CHECKs the order the PEP guarantees, and reaping checks.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "net_testing.hpp"
#include "pep3156/pep3156.hpp"

namespace pep3156::reference::testing {

/// Records the calls and CHECKs their order: connection_made() first,
/// pipe_data_received() only for 1 and 2 with data, before that pipe's
/// pipe_connection_lost(); process_exited() once, with the return code
/// set; connection_lost() once, last, after process_exited() and the loss
/// of every pipe (PROTO-SUBPROC-*).
class RecordingSubprocess : public SubprocessProtocol {
 public:
  explicit RecordingSubprocess(AbstractEventLoop& loop)
      : made(loop.create_future<void>()),
        exited(loop.create_future<void>()),
        lost(loop.create_future<void>()) {}

  void connection_made(std::shared_ptr<BaseTransport> base) override {
    CHECK_FALSE(made.done());
    transport = std::dynamic_pointer_cast<SubprocessTransport>(base);
    REQUIRE(transport);
    made.set_result();
    if (on_made) on_made(*this);
  }
  void pipe_data_received(int fd, BytesView data) override {
    CHECK(made.done());
    CHECK_FALSE(lost.done());
    REQUIRE((fd == 1 || fd == 2));
    CHECK_FALSE(data.empty());
    CHECK_FALSE(pipe_lost[fd]);
    output[fd].append(as_text(data));
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override {
    CHECK(made.done());
    REQUIRE((fd >= 0 && fd <= 2));
    CHECK_FALSE(pipe_lost[fd]);
    pipe_lost[fd] = true;
    pipe_error[fd] = exc;
    if (on_pipe_lost) on_pipe_lost(*this, fd);
  }
  void process_exited() override {
    CHECK(made.done());
    CHECK_FALSE(exited.done());
    CHECK(transport->get_returncode().has_value());  // PROTO-SUBPROC-EXITED
    exited.set_result();
  }
  void connection_lost(std::exception_ptr exc) override {
    CHECK(exited.done());
    CHECK_FALSE(lost.done());
    for (int fd = 0; fd < 3; ++fd) {
      if (transport->get_pipe_transport(fd)) CHECK_MESSAGE(pipe_lost[fd], "pipe " << fd << " still open");
    }
    CHECK_FALSE(exc);
    lost.set_result();
  }
  void pause_writing() override {
    CHECK_FALSE(writing_paused);
    writing_paused = true;
    ++pauses;
  }
  void resume_writing() override {
    CHECK(writing_paused);
    writing_paused = false;
  }

  /// The stdin pipe.
  std::shared_ptr<WriteTransport> stdin_pipe() const {
    return std::dynamic_pointer_cast<WriteTransport>(transport->get_pipe_transport(0));
  }

  std::shared_ptr<SubprocessTransport> transport;
  std::array<std::string, 3> output;
  std::array<bool, 3> pipe_lost{};
  std::array<std::exception_ptr, 3> pipe_error{};
  bool writing_paused = false;
  int pauses = 0;
  Future<void> made;
  Future<void> exited;
  Future<void> lost;
  std::function<void(RecordingSubprocess&)> on_made;
  std::function<void(RecordingSubprocess&, int fd)> on_pipe_lost;
};

/// True once nobody can reap `pid` any more: it was reaped (ECHILD).
inline bool reaped(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

/// Runs a child to its end with a RecordingSubprocess, calling `on_made`
/// from its connection_made(), and checks that it was reaped.
inline std::shared_ptr<RecordingSubprocess> run_subprocess(
    AbstractEventLoop& loop, std::vector<std::string> args, SubprocessOptions options = {},
    std::function<void(RecordingSubprocess&)> on_made = {}) {
  auto protocol = std::make_shared<RecordingSubprocess>(loop);
  protocol->on_made = std::move(on_made);
  pep3156::testing::run(
      loop, loop.subprocess_exec([protocol] { return protocol; }, std::move(args), std::move(options)));
  pep3156::testing::run(loop, protocol->lost);
  CHECK_MESSAGE(reaped(protocol->transport->get_pid()), "no zombie left");
  return protocol;
}

}  // namespace pep3156::reference::testing
