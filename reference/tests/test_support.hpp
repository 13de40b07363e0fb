// What the reference tests share: the loop over every poller, owned socket
// pairs, and open-fd counting.
#pragma once

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "reference/poller.hpp"

namespace pep3156::reference::testing {

/// Runs `body(poller_name)` once per poller this build offers, each time
/// in a doctest SUBCASE named after the poller: every test body runs on
/// select, poll and epoll (kqueue on BSD/macOS).
template <class Body>
void for_each_poller(Body&& body) {
  for (const std::string& name : available_pollers()) {
    SUBCASE(name.c_str()) { body(name); }
  }
}

/// A connected AF_UNIX stream pair, closed on destruction unless closed
/// before.
struct SocketPair {
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    close_a();
    close_b();
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;

  void close_a() {
    if (a >= 0) ::close(a);
    a = -1;
  }
  void close_b() {
    if (b >= 0) ::close(b);
    b = -1;
  }
  /// Makes `a` readable (and keeps it so until read).
  void send_to_a(const char* data = "x") {
    REQUIRE(::write(b, data, std::char_traits<char>::length(data)) > 0);
  }

  int a;
  int b;
};

/// How many file descriptors this process has open.
inline std::size_t open_fd_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/dev/fd")) ++count;
  return count - 1;  // the directory iterator's own fd
}

}  // namespace pep3156::reference::testing
