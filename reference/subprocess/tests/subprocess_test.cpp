// subprocess_exec() and subprocess_shell() on the reference loop, on every
// poller: data through the pipes, the options, exit codes and signals,
// close(), a child that dies while we write, a program that is missing, and
// neither zombies nor leaked descriptors.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "subprocess_support.hpp"

namespace pep3156::reference::testing {
namespace {

using pep3156::testing::for_each_loop;
using pep3156::testing::rethrow;
using pep3156::testing::run;

TEST_CASE("subprocess: cat echoes what we write; the calls come in the PEP's order") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto cat = run_subprocess(loop, {"cat"}, {}, [](RecordingSubprocess& self) {
      // The pipes exist in connection_made() (TR-SUBPROC-PIPE-TRANSPORT).
      self.stdin_pipe()->write("hello, ");
      self.stdin_pipe()->write("child\n");
      self.stdin_pipe()->write_eof();  // cat sees EOF and exits
    });
    CHECK(cat->output[1] == "hello, child\n");
    CHECK(cat->output[2].empty());
    CHECK(cat->transport->get_returncode() == 0);
    CHECK(cat->transport->get_pid() > 0);
    CHECK(cat->pipe_lost == std::array<bool, 3>{true, true, true});
    CHECK(std::dynamic_pointer_cast<WriteTransport>(cat->transport->get_pipe_transport(0)));
    CHECK(std::dynamic_pointer_cast<ReadTransport>(cat->transport->get_pipe_transport(1)));
    CHECK(std::dynamic_pointer_cast<ReadTransport>(cat->transport->get_pipe_transport(2)));
    CHECK_FALSE(cat->transport->get_pipe_transport(3));
    CHECK_FALSE(cat->transport->get_extra_info("anything").has_value());
  });
}

TEST_CASE("subprocess: a shell pipeline, and a lot of output") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string expected;
    for (int i = 1; i <= 100000; ++i) expected += std::to_string(i) + "\n";
    auto seq = run_subprocess(loop, {"seq", "1", "100000"});
    CHECK((seq->output[1] == expected));

    auto protocol = std::make_shared<RecordingSubprocess>(loop);
    run(loop, loop.subprocess_shell([protocol] { return protocol; },
                                    "seq 1 100000 | awk '{ sum += $1 } END { printf \"%.0f\\n\", sum }'"));
    run(loop, protocol->lost);
    CHECK(protocol->output[1] == "5000050000\n");
    CHECK(protocol->transport->get_returncode() == 0);
    CHECK(reaped(protocol->transport->get_pid()));
  });
}

TEST_CASE("subprocess: where the standard streams go") {
  for_each_loop([](AbstractEventLoop& loop) {
    SUBCASE("stderr to stdout (LOOP-SUBPROC-STDERR-STDOUT)") {
      auto child =
          run_subprocess(loop, {"sh", "-c", "echo out; echo err >&2"}, {.stderr_ = Stdio::to_stdout()});
      CHECK(child->output[1] == "out\nerr\n");
      CHECK_FALSE(child->transport->get_pipe_transport(2));
    }
    SUBCASE("devnull") {
      auto child = run_subprocess(loop, {"sh", "-c", "cat; echo done"},
                                  {.stdin_ = Stdio::devnull(), .stderr_ = Stdio::devnull()});
      CHECK(child->output[1] == "done\n");
      CHECK_FALSE(child->transport->get_pipe_transport(0));
      CHECK_FALSE(child->transport->get_pipe_transport(2));
    }
    SUBCASE("all three inherited: no pipes at all") {
      auto child = run_subprocess(
          loop, {"true"},
          {.stdin_ = Stdio::inherit(), .stdout_ = Stdio::inherit(), .stderr_ = Stdio::inherit()});
      for (int fd = 0; fd < 3; ++fd) CHECK_FALSE(child->transport->get_pipe_transport(fd));
      CHECK(child->transport->get_returncode() == 0);
    }
    SUBCASE("a descriptor of ours, which we keep") {
      int fds[2];
      REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
      Socket read_end(fds[0]);
      Socket write_end(fds[1]);
      auto child =
          run_subprocess(loop, {"echo", "through our pipe"}, {.stdout_ = Stdio::from_fd(write_end.fd())});
      CHECK_FALSE(child->transport->get_pipe_transport(1));
      write_end.reset();
      CHECK(pep3156::testing::read_to_eof(read_end.fd()) == "through our pipe\n");
    }
  });
}

TEST_CASE("subprocess: cwd, env, executable (LOOP-SUBPROC-PASSTHROUGH)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto child =
        run_subprocess(loop, {"sh", "-c", "echo $GREETING; pwd"},
                       {.cwd = "/tmp", .env = std::map<std::string, std::string>{{"GREETING", "hi"}}});
    CHECK(child->output[1] == "hi\n/tmp\n");
    // executable runs instead of args[0], which stays argv[0].
    auto renamed = run_subprocess(loop, {"called-so", "-c", "echo $0"}, {.executable = "/bin/sh"});
    CHECK(renamed->output[1] == "called-so\n");
  });
}

TEST_CASE("subprocess: exit codes, and -N for signal N (TR-SUBPROC-RETURNCODE, TR-SUBPROC-SIGNALS)") {
  for_each_loop([](AbstractEventLoop& loop) {
    CHECK(run_subprocess(loop, {"sh", "-c", "exit 3"})->transport->get_returncode() == 3);
    auto signalled = [&](const std::function<void(SubprocessTransport&)>& send) {
      auto child = run_subprocess(loop, {"sleep", "30"}, {}, [&](RecordingSubprocess& self) {
        CHECK_FALSE(self.transport->get_returncode());  // None while it runs
        send(*self.transport);
      });
      return child->transport->get_returncode();
    };
    CHECK(signalled([](SubprocessTransport& t) { t.kill(); }) == -SIGKILL);
    CHECK(signalled([](SubprocessTransport& t) { t.terminate(); }) == -SIGTERM);
    CHECK(signalled([](SubprocessTransport& t) { t.send_signal(SIGINT); }) == -SIGINT);
    // D-TR-7: close() terminates a running child and closes the pipes.
    auto closed = run_subprocess(loop, {"sleep", "30"}, {}, [](RecordingSubprocess& self) {
      self.transport->close();
      CHECK(self.transport->is_closing());
    });
    CHECK(closed->transport->get_returncode() == -SIGTERM);
    // Once it has exited, signals and close() do nothing.
    closed->transport->kill();
    closed->transport->close();
    CHECK(closed->transport->get_returncode() == -SIGTERM);
  });
}

TEST_CASE("subprocess: a child that dies while we write to its stdin") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto child = run_subprocess(
        loop, {"head", "-c", "1"}, {.stdout_ = Stdio::devnull()},
        [](RecordingSubprocess& self) { self.stdin_pipe()->write(std::string(4 << 20, 'x')); });
    CHECK(child->transport->get_returncode() == 0);
    // The write pipe had data left when the reader went: EPIPE.
    CHECK(pep3156::testing::error_code(child->pipe_error[0]) == EPIPE);
  });
}

TEST_CASE("subprocess: flow control on stdin reaches the protocol") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto child = run_subprocess(loop, {"cat"}, {.stdout_ = Stdio::devnull()}, [](RecordingSubprocess& self) {
      self.stdin_pipe()->write(std::string(1 << 20, 'x'));
      CHECK(self.writing_paused);  // far above the high-water mark, from inside write()
      self.stdin_pipe()->write_eof();
    });
    CHECK(child->pauses == 1);
    CHECK_FALSE(child->writing_paused);  // resumed as cat drained the pipe
    CHECK(child->transport->get_returncode() == 0);
  });
}

TEST_CASE("subprocess: pipes may all close before the child exits (PROTO-SUBPROC-NO-EXIT-PIPES-LOST)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto child =
        run_subprocess(loop, {"sh", "-c", "exec >&- 2>&-; read line"}, {}, [](RecordingSubprocess& self) {
          self.on_pipe_lost = [](RecordingSubprocess& self, int) {
            if (!self.pipe_lost[1] || !self.pipe_lost[2]) return;
            CHECK_FALSE(self.exited.done());  // it still waits for a line
            self.stdin_pipe()->write("go\n");
            self.stdin_pipe()->close();
          };
        });
    CHECK(child->transport->get_returncode() == 0);
  });
}

TEST_CASE("subprocess: a program that cannot run fails the Future with std::system_error") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto factory = [&loop] { return std::make_shared<RecordingSubprocess>(loop); };
    auto error_of = [&](Future<SubprocessConnection> starting) {
      try {
        rethrow(loop, starting);
      } catch (const std::system_error& e) {
        return std::pair<int, std::string>(e.code().value(), e.what());
      }
      FAIL("it started");
      return std::pair<int, std::string>();
    };
    auto [missing, message] = error_of(loop.subprocess_exec(factory, {"/nonexistent/program"}));
    CHECK(missing == ENOENT);
    CHECK(message.starts_with("cannot run '/nonexistent/program'"));
    CHECK(error_of(loop.subprocess_exec(factory, {"no-such-program-pep3156"})).first == ENOENT);
    CHECK(error_of(loop.subprocess_exec(factory, {"/etc/passwd"})).first == EACCES);
    CHECK(error_of(loop.subprocess_exec(factory, {"true"}, {.cwd = "/nonexistent"})).first == ENOENT);
  });
}

TEST_CASE("subprocess: argument errors are thrown by the call (D-TIER-3)") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto factory = [&loop] { return std::make_shared<RecordingSubprocess>(loop); };
    CHECK_THROWS_AS(loop.subprocess_exec(factory, {}), ValueError);
    CHECK_THROWS_AS(loop.subprocess_exec(factory, {std::string("a\0b", 3)}), ValueError);
    CHECK_THROWS_AS(loop.subprocess_exec(factory, {"true"}, {.stdin_ = Stdio::to_stdout()}), ValueError);
    CHECK_THROWS_AS(loop.subprocess_exec(factory, {"true"}, {.stdout_ = Stdio::to_stdout()}), ValueError);
    CHECK_THROWS_AS(loop.subprocess_exec(factory, {"true"}, {.stdout_ = Stdio::from_fd(-1)}), ValueError);
    CHECK_THROWS_AS(
        loop.subprocess_exec(factory, {"true"}, {.env = std::map<std::string, std::string>{{"A=B", "c"}}}),
        ValueError);
    CHECK_THROWS_AS(loop.subprocess_exec(factory, {"true"}, {.pass_fds = {-3}}), ValueError);
    CHECK_THROWS_AS(rethrow(loop, loop.subprocess_exec([] { return nullptr; }, {"true"})), TypeError);
  });
}

/// The descriptors a child has open, as `ls /proc/self/fd` lists them in
/// the child (ls itself adds the one it reads the directory with).
std::string child_descriptors(AbstractEventLoop& loop, SubprocessOptions options) {
  return run_subprocess(loop, {"ls", "/proc/self/fd"}, std::move(options))->output[1];
}

TEST_CASE("subprocess: the child gets no descriptor it was not given") {
  for_each_loop([](AbstractEventLoop& loop) {
    // A descriptor of ours that is not close-on-exec.
    int inheritable = ::open("/dev/null", O_RDONLY);
    REQUIRE(inheritable > 3);
    Socket owned(inheritable);
    std::string listed = "\n" + child_descriptors(loop, {});
    CHECK(listed == "\n0\n1\n2\n3\n");  // close_fds (the default) closed it
    listed = "\n" + child_descriptors(loop, {.pass_fds = {inheritable}});
    CHECK(listed.find("\n" + std::to_string(inheritable) + "\n") != std::string::npos);
    listed = "\n" + child_descriptors(loop, {.close_fds = false});
    CHECK(listed.find("\n" + std::to_string(inheritable) + "\n") != std::string::npos);
  });
}

TEST_CASE("subprocess: start_new_session and restore_signals") {
  for_each_loop([](AbstractEventLoop& loop) {
    // Field 6 of /proc/self/stat is the session: the child's own pid when
    // it leads a new session.
    auto leader =
        run_subprocess(loop, {"cut", "-d", " ", "-f6", "/proc/self/stat"}, {.start_new_session = true});
    CHECK(leader->output[1] == std::to_string(leader->transport->get_pid()) + "\n");

    // SIGPIPE ignored here is SIG_DFL in the child unless restore_signals
    // is false. SigIgn in /proc/self/status is a hex mask; SIGPIPE (13) is
    // bit 12, the 0x1000 of its last four digits.
    struct sigaction ignore {};
    struct sigaction previous {};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGPIPE, &ignore, &previous) == 0);
    auto sigpipe_ignored = [&](bool restore_signals) {
      std::string mask = run_subprocess(loop, {"sh", "-c", "grep SigIgn /proc/self/status | cut -f2"},
                                        {.restore_signals = restore_signals})
                             ->output[1];
      return (std::stoul(mask.substr(mask.size() - 5, 4), nullptr, 16) & 0x1000) != 0;
    };
    CHECK_FALSE(sigpipe_ignored(true));
    CHECK(sigpipe_ignored(false));
    ::sigaction(SIGPIPE, &previous, nullptr);
  });
}

}  // namespace
}  // namespace pep3156::reference::testing
