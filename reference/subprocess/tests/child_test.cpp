// Child on its own: the polling fallback for kernels without pidfd, and a
// child whose transport goes away before it exits.
#include "child.hpp"

#include <doctest/doctest.h>

#include "spawn.hpp"
#include "subprocess_support.hpp"

namespace pep3156::reference::testing {
namespace {

using subprocess::Child;

pid_t spawn_quiet(std::vector<std::string> args) {
  return subprocess::spawn(args, {.stdin_ = Stdio::devnull(), .stdout_ = Stdio::devnull()}).pid;
}

TEST_CASE("Child: without pidfd, the loop polls that one child") {
  pep3156::testing::for_each_loop([](AbstractEventLoop& loop) {
    Child child(spawn_quiet({"sh", "-c", "exit 7"}), /*use_pidfd=*/false);
    auto exited = loop.create_future<void>();
    child.watch(loop, [&] { exited.set_result(); });
    pep3156::testing::run(loop, exited);
    CHECK(child.returncode() == 7);
    CHECK(reaped(child.pid()));
  });
}

TEST_CASE("Child: one that still runs when it is destroyed is killed and reaped, never left a zombie") {
  for (bool use_pidfd : {true, false}) {
    pid_t pid = spawn_quiet({"sleep", "30"});
    { Child child(pid, use_pidfd); }
    CHECK(reaped(pid));
  }
}

}  // namespace
}  // namespace pep3156::reference::testing
