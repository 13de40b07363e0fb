#include "net_testing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "reference/reference.hpp"

extern char** environ;

namespace pep3156::testing {

void for_each_loop(const std::function<void(AbstractEventLoop& loop)>& body) {
  for (const std::string& poller : reference::available_pollers()) {
    SUBCASE(poller.c_str()) {
      int descriptors_before = open_fd_count();
      {
        auto loop = std::make_shared<reference::SelectorEventLoop>(reference::make_poller(poller));
        body(*loop);
        loop->close();
      }
      CHECK_MESSAGE(open_fd_count() == descriptors_before, "descriptors leaked");
    }
  }
}

void run_until_done(AbstractEventLoop& loop, const FuturePtr& future) {
  if (future->done()) return;
  bool timed_out = false;
  CallbackId stopper = future->add_done_callback([&loop](const FuturePtr&) { loop.stop(); });
  TimerHandle guard = loop.call_later(60.0, [&] {
    timed_out = true;
    loop.stop();
  });
  loop.run_forever();
  guard.cancel();
  future->remove_done_callback(stopper);
  REQUIRE_MESSAGE(!timed_out, "timed out after a minute");
  REQUIRE(future->done());
}

void run_until(AbstractEventLoop& loop, const std::function<bool()>& done) {
  if (done()) return;
  auto finished = loop.create_future<void>();
  TimerHandle poll = loop.call_repeatedly(0.001, [&] {
    if (done() && !finished.done()) finished.set_result();
  });
  run_until_done(loop, finished.state());
  poll.cancel();
}

void spin(AbstractEventLoop& loop, int iterations) {
  auto done = loop.create_future<void>();
  std::function<void(int)> turn = [&](int left) {
    if (left == 0) {
      done.set_result();
    } else {
      loop.call_soon([&turn, left] { turn(left - 1); });
    }
  };
  turn(iterations);
  run_until_done(loop, done.state());
}

// --- RecordingProtocol ---------------------------------------------------------

RecordingProtocol::RecordingProtocol(AbstractEventLoop& loop)
    : made(loop.create_future<void>()), eof(loop.create_future<void>()), lost(loop.create_future<void>()) {}

std::size_t RecordingProtocol::count(const std::string& call) const {
  return static_cast<std::size_t>(std::count(calls.begin(), calls.end(), call));
}

void RecordingProtocol::expect_connected(const char* call) {
  CHECK_MESSAGE(state_ != State::initial, call << " before connection_made()");
  CHECK_MESSAGE(state_ != State::lost, call << " after connection_lost()");
}

void RecordingProtocol::connection_made(std::shared_ptr<BaseTransport> t) {
  calls.push_back("made");
  CHECK_MESSAGE(state_ == State::initial,
                "connection_made() twice or late");  // PROTO-SEQ-CONNECTION-MADE-ONCE
  CHECK(t != nullptr);
  state_ = State::connected;
  transport = std::dynamic_pointer_cast<Transport>(t);
  write_transport = std::dynamic_pointer_cast<WriteTransport>(t);
  made.set_result();
  if (on_made) on_made(*this);
}

void RecordingProtocol::data_received(BytesView data) {
  calls.push_back("data");
  expect_connected("data_received()");
  CHECK_MESSAGE(state_ != State::eof, "data_received() after eof_received()");
  CHECK_MESSAGE(!data.empty(), "data_received() with empty data");  // PROTO-DATA-NONEMPTY
  received.append(as_text(data));
  if (on_data) on_data(*this, data);
}

bool RecordingProtocol::eof_received() {
  calls.push_back("eof");
  expect_connected("eof_received()");
  CHECK_MESSAGE(state_ != State::eof, "eof_received() twice");  // PROTO-SEQ-EOF-AT-MOST-ONCE
  state_ = State::eof;
  eof.set_result();
  if (on_eof) on_eof(*this);
  return keep_open_on_eof;
}

void RecordingProtocol::connection_lost(std::exception_ptr exc) {
  calls.push_back("lost");
  expect_connected("connection_lost()");  // PROTO-SEQ-CONNECTION-LOST-ONCE
  state_ = State::lost;
  lost_error = exc;
  transport.reset();
  write_transport.reset();
  lost.set_result();
}

void RecordingProtocol::pause_writing() {
  calls.push_back("pause");
  expect_connected("pause_writing()");
  CHECK_MESSAGE(!writing_paused, "pause_writing() twice in a row");  // PROTO-FLOW-PAIRS
  writing_paused = true;
  if (on_pause) on_pause(*this);
}

void RecordingProtocol::resume_writing() {
  calls.push_back("resume");
  expect_connected("resume_writing()");
  CHECK_MESSAGE(writing_paused, "resume_writing() without pause_writing()");
  writing_paused = false;
  if (on_resume) on_resume(*this);
}

ProtocolFactory RecordingFactory::factory() {
  return [this]() -> std::shared_ptr<Protocol> {
    auto protocol = std::make_shared<RecordingProtocol>(loop);
    if (configure) configure(*protocol);
    made.push_back(protocol);
    return protocol;
  };
}

void echo(RecordingProtocol& protocol) {
  protocol.on_data = [](RecordingProtocol& p, BytesView data) { p.transport->write(data); };
}

int error_code(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    return e.code().value();
  } catch (...) {
    return -1;
  }
}

// --- Descriptors ------------------------------------------------------------------

int open_fd_count() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own descriptor
}

std::pair<Socket, Socket> socket_pair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  return {Socket(fds[0]), Socket(fds[1])};
}

std::pair<Socket, Socket> tcp_pair() {
  Socket listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  SocketAddress any("127.0.0.1", 0);
  REQUIRE(::bind(listener.fd(), any.data(), any.size()) == 0);
  REQUIRE(::listen(listener.fd(), 1) == 0);
  SocketAddress address = listener.local_address();
  Socket client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(::connect(client.fd(), address.data(), address.size()) == 0);
  Socket server(::accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  REQUIRE(server);
  REQUIRE(::fcntl(client.fd(), F_SETFL, O_NONBLOCK | O_RDWR) == 0);
  return {std::move(client), std::move(server)};
}

std::pair<Socket, Socket> nonblocking_pipe() {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
  return {Socket(fds[0]), Socket(fds[1])};
}

namespace {
void wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, 60'000);
  } while (n < 0 && errno == EINTR);
  if (n == 0) throw RuntimeError("no readiness within a minute");
}
}  // namespace

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) throw_errno("write_all");
      wait_for(fd, POLLOUT);
      continue;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_to_eof(int fd, std::size_t limit) {
  std::string result;
  char buffer[65536];
  while (result.size() < limit) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) throw_errno("read_to_eof");
      wait_for(fd, POLLIN);
      continue;
    }
    if (n == 0) break;
    result.append(buffer, static_cast<std::size_t>(n));
  }
  return result;
}

// --- Child processes -------------------------------------------------------------

ChildProcess::ChildProcess(std::vector<std::string> argv) {
  int in[2];
  int out[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  stdin_.reset(in[1]);
  stdout_.reset(out[0]);
  REQUIRE_MESSAGE(rc == 0, "cannot run " << argv[0]);
}

ChildProcess::~ChildProcess() { kill(); }

int ChildProcess::kill(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
  return wait();
}

std::string ChildProcess::read_line() {
  while (true) {
    if (auto newline = pending_.find('\n'); newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    pollfd p{stdout_.fd(), POLLIN, 0};
    int n = ::poll(&p, 1, 60'000);
    REQUIRE_MESSAGE(n > 0, "the child printed no line within a minute");
    char buffer[4096];
    ssize_t got = ::read(stdout_.fd(), buffer, sizeof buffer);
    REQUIRE_MESSAGE(got > 0, "the child exited before printing a line");
    pending_.append(buffer, static_cast<std::size_t>(got));
  }
}

std::string ChildProcess::read_rest() {
  std::string rest = std::exchange(pending_, {});
  rest += read_to_eof(stdout_.fd());
  return rest;
}

int ChildProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string temporary_socket_path(const std::string& name) {
  std::string path = "/tmp/pep3156-net-" + std::to_string(::getpid()) + "-" + name + ".sock";
  ::unlink(path.c_str());
  return path;
}

}  // namespace pep3156::testing
