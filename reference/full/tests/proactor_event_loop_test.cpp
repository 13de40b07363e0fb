// ProactorEventLoop's socket operations: what a completion-based
// sock_recv()/sock_sendall() must get right that a readiness one gets for
// free (every byte of a long send, nothing taken by a cancelled receive).
// Where the kernel refuses io_uring, each test prints why and ctest counts
// the binary as skipped (SKIP_REGULAR_EXPRESSION in CMakeLists.txt).
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "pep3156/pep3156.hpp"
#include "reference/reference.hpp"

using namespace pep3156;
using namespace pep3156::reference;

namespace {

/// A ProactorEventLoop, or null (and the reason printed) where the kernel
/// refuses io_uring.
std::shared_ptr<ProactorEventLoop> new_proactor_loop() {
  try {
    return std::make_shared<ProactorEventLoop>(make_proactor(""));
  } catch (const std::system_error& refused) {
    std::printf("proactor unavailable: %s\n", refused.what());
    return nullptr;
  }
}

/// A connected, non-blocking AF_UNIX stream pair.
struct NonBlockingPair {
  NonBlockingPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    a = Socket(fds[0]);
    b = Socket(fds[1]);
  }
  Socket a;
  Socket b;
};

}  // namespace

TEST_CASE("sock_sendall() sends every byte of a buffer far larger than the socket's, in several sends") {
  auto loop = new_proactor_loop();
  if (!loop) return;
  NonBlockingPair pair;
  Bytes sent(4 << 20);
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<std::byte>(i * 7);
  Future<void> sending = loop->sock_sendall(pair.a.fd(), sent);
  Bytes received;
  while (received.size() < sent.size()) {
    Bytes chunk = loop->run_until_complete(loop->sock_recv(pair.b.fd(), 1 << 16));
    REQUIRE_FALSE(chunk.empty());
    received.insert(received.end(), chunk.begin(), chunk.end());
  }
  loop->run_until_complete(sending);
  CHECK(received == sent);
  loop->close();
}

TEST_CASE("a cancelled sock_recv() leaves what arrives afterwards in the socket") {
  auto loop = new_proactor_loop();
  if (!loop) return;
  NonBlockingPair pair;
  Future<Bytes> pending = loop->sock_recv(pair.a.fd(), 16);
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();  // the receive is in the kernel now
  REQUIRE(pending.cancel());
  REQUIRE(::write(pair.b.fd(), "data", 4) == 4);
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();  // the cancelled receive's completion arrives
  char peek[16];
  CHECK(::recv(pair.a.fd(), peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT) == 4);
  loop->close();
}
