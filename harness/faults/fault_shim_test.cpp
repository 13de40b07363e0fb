// The fault shim's own test: each fault kind appears at the configured rate
// where the kernel could return it, and never where it could not (EAGAIN
// on a blocking descriptor, EINTR on a non-blocking one or on a poller call
// that cannot sleep, anything on a regular file).
//
//   fault_shim_test PATH/libloopcert_faults.so
//
// executes itself again with the shim preloaded and kSpec in its
// environment, and runs the checks there.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

namespace {

constexpr double kRate = 0.1;
constexpr const char* kSpec = "seed=3,rate=0.1,kinds=eintr+eagain+short+emfile";
constexpr int kTrials = 20000;

/// How often each outcome happened: "EINTR", "EAGAIN", "EMFILE", or the
/// count returned ("1", "4").
std::map<std::string, int> outcomes(const std::function<long()>& call) {
  std::map<std::string, int> seen;
  for (int i = 0; i < kTrials; ++i) {
    errno = 0;
    long result = call();
    if (result >= 0) {
      ++seen[std::to_string(result)];
    } else {
      ++seen[errno == EINTR ? "EINTR" : errno == EAGAIN ? "EAGAIN" : errno == EMFILE ? "EMFILE" : "other"];
    }
  }
  return seen;
}

/// `count` is what kTrials draws at `rate` give, within five standard
/// deviations.
bool at_rate(int count, double rate) {
  double expected = kTrials * rate;
  return std::fabs(count - expected) <= 5 * std::sqrt(expected * (1 - rate)) + 1;
}

struct SocketPair {
  int fds[2];
  explicit SocketPair(bool nonblocking) {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0, fds) == 0);
    // Four bytes to peek at, forever: a peek never consumes them. The shim
    // is on here too: send them however many calls it takes.
    for (int sent = 0; sent < 4;) {
      long n = ::send(fds[1], "abcd" + sent, 4 - sent, 0);
      if (n > 0) sent += static_cast<int>(n);
    }
  }
  ~SocketPair() { ::close(fds[0]), ::close(fds[1]); }
};

/// The calls on four bytes that a fault changed.
int faults(std::map<std::string, int>& seen) {
  return seen["EINTR"] + seen["EAGAIN"] + seen["1"] + seen["2"] + seen["3"];
}

}  // namespace

TEST_CASE("a blocking stream socket: EINTR and short counts at the rate, never EAGAIN") {
  SocketPair pair(false);
  char buffer[4];
  auto seen = outcomes([&] { return ::recv(pair.fds[0], buffer, 4, MSG_PEEK); });
  CHECK(seen["EAGAIN"] == 0);
  CHECK(seen["EINTR"] > 0);
  CHECK(seen["1"] + seen["2"] + seen["3"] > 0);
  CHECK(at_rate(faults(seen), kRate));
  CHECK(seen["other"] == 0);
}

TEST_CASE("a non-blocking stream socket: EAGAIN and short counts at the rate, never EINTR") {
  SocketPair pair(true);
  char buffer[4];
  auto seen = outcomes([&] { return ::recv(pair.fds[0], buffer, 4, MSG_PEEK); });
  CHECK(seen["EINTR"] == 0);
  CHECK(seen["EAGAIN"] > 0);
  CHECK(seen["1"] + seen["2"] + seen["3"] > 0);
  CHECK(at_rate(faults(seen), kRate));
}

TEST_CASE("MSG_DONTWAIT makes a call on a blocking socket non-blocking: EAGAIN, never EINTR") {
  SocketPair pair(false);
  char buffer[4];
  auto seen = outcomes([&] { return ::recv(pair.fds[0], buffer, 4, MSG_PEEK | MSG_DONTWAIT); });
  CHECK(seen["EINTR"] == 0);
  CHECK(seen["EAGAIN"] > 0);
}

TEST_CASE("a small write to a pipe is atomic: never short, never EAGAIN while there is room") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
  char buffer[4];  // reading is faulted (EAGAIN, short): read until it is empty
  auto seen = outcomes([&] {
    long written = ::write(fds[1], "abcd", 4);
    while (::read(fds[0], buffer, sizeof buffer) > 0 || errno == EINTR) {
    }
    return written;
  });
  CHECK(seen["4"] == kTrials);
  ::close(fds[0]), ::close(fds[1]);
}

TEST_CASE("a regular file: no fault at all") {
  char path[] = "/tmp/fault_shim_test.XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::unlink(path);
  REQUIRE(::write(fd, "abcd", 4) == 4);  // a regular file: the shim stays out of it
  char buffer[4];
  auto seen = outcomes([&] { return ::lseek(fd, 0, SEEK_SET) == 0 ? ::read(fd, buffer, 4) : -1; });
  CHECK(seen["4"] == kTrials);
  ::close(fd);
}

TEST_CASE("accept(): EMFILE, and EAGAIN on a non-blocking listening socket, at the rate") {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  // Nothing is pending: the real accept() says EAGAIN every time; the shim
  // replaces half of its faults with EMFILE (two kinds apply).
  auto seen = outcomes([&] { return ::accept(listener, nullptr, nullptr); });
  CHECK(seen["EINTR"] == 0);
  CHECK(at_rate(seen["EMFILE"], kRate / 2));
  CHECK(seen["EMFILE"] + seen["EAGAIN"] == kTrials);
  ::close(listener);
}

TEST_CASE("poll(): EINTR at the rate when it could sleep, never with a zero timeout") {
  SocketPair pair(true);
  pollfd ready{pair.fds[0], POLLIN, 0};
  auto sleeping = outcomes([&] { return ::poll(&ready, 1, 1000); });
  CHECK(at_rate(sleeping["EINTR"], kRate));
  CHECK(sleeping["1"] + sleeping["EINTR"] == kTrials);
  auto immediate = outcomes([&] { return ::poll(&ready, 1, 0); });
  CHECK(immediate["1"] == kTrials);
}

int main(int argc, char** argv) {
  if (std::getenv("FAULT_SHIM_TEST_UNDER_SHIM") == nullptr) {
    if (argc < 2) {
      std::fprintf(stderr, "usage: fault_shim_test PATH/libloopcert_faults.so\n");
      return 2;
    }
    ::setenv("LD_PRELOAD", argv[1], 1);
    ::setenv("PEP3156_FAULTS", kSpec, 1);
    ::setenv("FAULT_SHIM_TEST_UNDER_SHIM", "1", 1);
    ::execv("/proc/self/exe", argv);
    std::perror("fault_shim_test: exec");
    return 2;
  }
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}
