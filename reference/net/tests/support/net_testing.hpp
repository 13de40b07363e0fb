// What the net tests share: a fresh loop per poller, a protocol that
// records its calls and fails the test on any call the PEP's calling
// sequence forbids, descriptor counting, and child processes (real peers).
#pragma once

#include <doctest/doctest.h>
#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pep3156/pep3156.hpp"

namespace pep3156::testing {

/// Runs `body` once on a fresh loop of every available poller, then closes
/// the loop. A failure names the poller. Fails if the process has more
/// descriptors open afterwards than before.
void for_each_loop(const std::function<void(AbstractEventLoop& loop)>& body);

/// Runs the loop until `future` is done and returns its result; fails the
/// test instead of hanging if that takes more than a minute.
void run_until_done(AbstractEventLoop& loop, const FuturePtr& future);
template <class T>
T run(AbstractEventLoop& loop, const Future<T>& future) {
  run_until_done(loop, future.state());
  return detail::take_result<T>(*future.state());
}
template <class T>
T run(AbstractEventLoop& loop, Coroutine<T> coroutine) {
  return run(loop, Future<T>(loop.create_task(std::move(coroutine))));
}
/// Runs the loop until `done()` is true (checked every millisecond).
void run_until(AbstractEventLoop& loop, const std::function<bool()>& done);
/// Runs `iterations` turns of the loop, each polling for I/O: enough for
/// any readiness already present to be seen.
void spin(AbstractEventLoop& loop, int iterations = 5);

/// The exception a Future failed with, rethrown for CHECK_THROWS_AS.
template <class T>
void rethrow(AbstractEventLoop& loop, const Future<T>& future) {
  run_until_done(loop, future.state());
  std::rethrow_exception(future.exception());
}

/// Records every protocol call and checks the calling sequence of PEP 3156
/// (PROTO-SEQ-*, PROTO-DATA-NONEMPTY, PROTO-FLOW-PAIRS) as it happens.
class RecordingProtocol : public Protocol {
 public:
  explicit RecordingProtocol(AbstractEventLoop& loop);

  void connection_made(std::shared_ptr<BaseTransport> transport) override;
  void data_received(BytesView data) override;
  bool eof_received() override;
  void connection_lost(std::exception_ptr exc) override;
  void pause_writing() override;
  void resume_writing() override;

  /// The transport, from connection_made() (null for a non-stream one).
  std::shared_ptr<Transport> transport;
  std::shared_ptr<WriteTransport> write_transport;
  std::string received;
  std::vector<std::string> calls;  // "made", "data", "eof", "pause", "resume", "lost"
  std::exception_ptr lost_error;
  bool writing_paused = false;
  /// What eof_received() returns.
  bool keep_open_on_eof = false;
  /// Hooks for a test's own behaviour.
  std::function<void(RecordingProtocol&)> on_made;
  std::function<void(RecordingProtocol&, BytesView)> on_data;
  std::function<void(RecordingProtocol&)> on_eof;
  std::function<void(RecordingProtocol&)> on_pause;
  std::function<void(RecordingProtocol&)> on_resume;

  Future<void> made;
  Future<void> eof;
  Future<void> lost;

  bool is_lost() const { return lost.done(); }
  std::size_t count(const std::string& call) const;

 private:
  enum class State { initial, connected, eof, lost };
  void expect_connected(const char* call);
  State state_ = State::initial;
};

/// The protocol factory for a fresh RecordingProtocol each call, keeping
/// every protocol it made in `made`.
struct RecordingFactory {
  AbstractEventLoop& loop;
  std::vector<std::shared_ptr<RecordingProtocol>> made{};
  std::function<void(RecordingProtocol&)> configure{};

  ProtocolFactory factory();
};

/// A protocol configuration: write back whatever arrives.
void echo(RecordingProtocol& protocol);

/// The errno of a std::system_error held by `error`; -1 for anything else.
int error_code(const std::exception_ptr& error);

/// Open descriptors of this process (/proc/self/fd).
int open_fd_count();

/// A connected pair of non-blocking UNIX stream sockets.
std::pair<Socket, Socket> socket_pair();
/// A connected pair of non-blocking TCP sockets over 127.0.0.1.
std::pair<Socket, Socket> tcp_pair();
/// A non-blocking pipe: {read end, write end}.
std::pair<Socket, Socket> nonblocking_pipe();

/// Writes everything with blocking semantics (poll until writable); for
/// the "other end" in tests. Throws std::system_error.
void write_all(int fd, std::string_view data);
/// Reads until EOF (blocking semantics), at most `limit` bytes.
std::string read_to_eof(int fd, std::size_t limit = std::size_t(1) << 30);

/// A child process (a real peer: Debian's python3, socat) with its stdin
/// and stdout on pipes; killed and reaped when destroyed.
class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// The next line the child prints (without the newline); fails the test
  /// after a minute without one.
  std::string read_line();
  /// Everything it prints until it exits.
  std::string read_rest();
  int stdin_fd() const { return stdin_.fd(); }
  void close_stdin() { stdin_.reset(); }
  /// Waits for the exit; returns the exit status (or 128 + signal).
  int wait();
  /// Sends `signal`, then wait()s.
  int kill(int signal = SIGKILL);

 private:
  int pid_ = -1;
  Socket stdin_;
  Socket stdout_;
  std::string pending_;
};

/// Debian's python3 (asyncio as a real peer), never the one first on PATH.
inline constexpr const char* kSystemPython = "/usr/bin/python3";

/// A fresh path for a UNIX-domain socket in the test's temporary directory.
std::string temporary_socket_path(const std::string& name);

}  // namespace pep3156::testing
