// The interpreter and the loop's lifetime: a loop made in a forked child
// (CPython's fork discipline), and the proxy cycle cut at close(): a
// connection still open when its loop closes leaks neither its socket nor
// the C++ protocol behind its Python proxy.
#include <dirent.h>
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "interpreter.hpp"
#include "pep3156/event_loop.hpp"
#include "python_event_loop.hpp"

namespace loopcert_python {
namespace {

/// The descriptors this process has open (/proc/self/fd, less the DIR's own).
int open_descriptors() {
  DIR* directory = ::opendir("/proc/self/fd");
  REQUIRE(directory != nullptr);
  int count = 0;
  while (::readdir(directory) != nullptr) ++count;
  ::closedir(directory);
  return count - 3;  // ".", "..", the directory's own fd
}

/// fork() as CPython wants it of an embedder: the GIL held from
/// PyOS_BeforeFork() on, no other thread inside Python, the child's
/// runtime repaired by PyOS_AfterFork_Child() before it touches Python.
pid_t fork_interpreter() {
  Gil gil;
  PyOS_BeforeFork();
  pid_t pid = ::fork();
  if (pid == 0) {
    PyOS_AfterFork_Child();
  } else {
    PyOS_AfterFork_Parent();
  }
  return pid;
}

TEST_CASE("a forked child makes and runs a loop of its own") {
  ensure_interpreter();
  // The parent's loop, alive across the fork: the child must not use it
  // (its epoll set and self-pipe are shared with the parent).
  auto parent_loop = std::make_shared<PythonEventLoop>("asyncio");
  pid_t child = fork_interpreter();
  REQUIRE(child >= 0);
  if (child == 0) {
    int ran = 0;
    {
      auto loop = std::make_shared<PythonEventLoop>("asyncio");
      loop->call_soon([&] { ++ran; });
      loop->call_later(0.001, [&] { loop->stop(); });
      loop->run_forever();
      loop->close();
    }
    ::_exit(ran == 1 ? 0 : 1);  // no atexit, no Python finalization in a child
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // The parent's loop still works.
  parent_loop->call_soon([&] { parent_loop->stop(); });
  parent_loop->run_forever();
  parent_loop->close();
}

TEST_CASE("a connection open at close() leaks no socket and no protocol") {
  ensure_interpreter();
  int ends[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) == 0);
  const int before = open_descriptors();  // both ends open, no loop yet
  std::weak_ptr<pep3156::Protocol> protocol;
  {
    auto loop = std::make_shared<PythonEventLoop>("asyncio");
    pep3156::ConnectionOptions options;
    options.sock = pep3156::Socket(ends[0]);
    auto made = loop->create_connection([] { return std::make_shared<pep3156::Protocol>(); }, "", 0,
                                        std::move(options));
    pep3156::StreamConnection connection = loop->run_until_complete(made);
    protocol = connection.second;
    CHECK_FALSE(protocol.expired());
    loop->close();  // the transport stays open: only the loop closes
  }
  // Released and collected (~PythonEventLoop): the cut proxy let Python's
  // gc free the transport, which closed the socket it owned.
  CHECK(protocol.expired());
  CHECK(open_descriptors() == before - 1);
  ::close(ends[1]);
}

}  // namespace
}  // namespace loopcert_python
