// SocketAddress and Socket: the address and descriptor types of the contract.
#include "pep3156/address.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "pep3156/errors.hpp"

using namespace pep3156;

namespace {
bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF; }
}  // namespace

TEST_CASE("SocketAddress from an IPv4 literal") {
  SocketAddress a("127.0.0.1", 8080);
  CHECK(a.family() == AF_INET);
  CHECK(a.host() == "127.0.0.1");
  CHECK(a.port() == 8080);
  CHECK(a.size() == sizeof(sockaddr_in));
  CHECK(a.to_string() == "127.0.0.1:8080");
  CHECK(a.scope_id() == 0);
  CHECK_FALSE(a.empty());
}

TEST_CASE("SocketAddress from an IPv6 literal, with a numeric scope id") {
  SocketAddress a("::1", 443);
  CHECK(a.family() == AF_INET6);
  CHECK(a.host() == "::1");
  CHECK(a.port() == 443);
  CHECK(a.to_string() == "[::1]:443");
  SocketAddress scoped("fe80::1%7", 1);
  CHECK(scoped.family() == AF_INET6);
  CHECK(scoped.scope_id() == 7);
  CHECK(scoped.host() == "fe80::1");
  SocketAddress loopback_scope("fe80::1%lo", 1);  // an interface name
  CHECK(loopback_scope.scope_id() != 0);
}

TEST_CASE("SocketAddress equality compares family, host, port and scope") {
  CHECK(SocketAddress("127.0.0.1", 1) == SocketAddress("127.0.0.1", 1));
  CHECK_FALSE(SocketAddress("127.0.0.1", 1) == SocketAddress("127.0.0.1", 2));
  CHECK_FALSE(SocketAddress("127.0.0.1", 1) == SocketAddress("127.0.0.2", 1));
  CHECK_FALSE(SocketAddress("::1", 1) == SocketAddress("127.0.0.1", 1));
  CHECK_FALSE(SocketAddress("fe80::1%1", 1) == SocketAddress("fe80::1%2", 1));
  CHECK(SocketAddress("::ffff:1.2.3.4", 5) == SocketAddress("::ffff:1.2.3.4", 5));
  CHECK(SocketAddress() == SocketAddress());
}

TEST_CASE("SocketAddress for a UNIX path") {
  auto a = SocketAddress::unix_path("/tmp/pep3156.sock");
  CHECK(a.family() == AF_UNIX);
  CHECK(a.host() == "/tmp/pep3156.sock");
  CHECK(a.port() == 0);
  CHECK(a.to_string() == "/tmp/pep3156.sock");
  CHECK(a == SocketAddress::unix_path("/tmp/pep3156.sock"));
  CHECK_FALSE(a == SocketAddress::unix_path("/tmp/other.sock"));
  CHECK_THROWS_AS(SocketAddress::unix_path(std::string(200, 'p')), ValueError);
}

TEST_CASE("SocketAddress rejects invalid input with ValueError") {
  CHECK_THROWS_AS(SocketAddress("localhost", 80), ValueError);  // not numeric
  CHECK_THROWS_AS(SocketAddress("", 80), ValueError);
  CHECK_THROWS_AS(SocketAddress("1.2.3.4%eth0", 80), ValueError);  // a scope on IPv4
  CHECK_THROWS_AS(SocketAddress("300.1.1.1", 80), ValueError);
  CHECK_THROWS_AS(SocketAddress("fe80::1%no-such-interface", 80), ValueError);
  CHECK_THROWS_AS(SocketAddress("fe80::1%", 80), ValueError);
  CHECK_THROWS_AS(SocketAddress(nullptr, 0), ValueError);
  sockaddr_in short_v4{};
  short_v4.sin_family = AF_INET;
  CHECK_THROWS_AS(SocketAddress(reinterpret_cast<sockaddr*>(&short_v4), 4), ValueError);
  sockaddr_storage unknown{};
  unknown.ss_family = AF_APPLETALK;
  CHECK_THROWS_AS(SocketAddress(reinterpret_cast<sockaddr*>(&unknown), sizeof unknown), ValueError);
  CHECK_THROWS_AS(SocketAddress(reinterpret_cast<sockaddr*>(&unknown), sizeof unknown + 1), ValueError);
}

TEST_CASE("SocketAddress round-trips through a raw sockaddr") {
  SocketAddress a("10.1.2.3", 99);
  SocketAddress b(a.data(), a.size());
  CHECK(a == b);
  CHECK(b.port() == 99);
}

TEST_CASE("Socket closes its descriptor exactly once") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  {
    Socket first(fds[0]);
    Socket moved(std::move(first));
    CHECK_FALSE(first);  // NOLINT(bugprone-use-after-move)
    CHECK(moved.fd() == fds[0]);
    Socket assigned;
    assigned = std::move(moved);
    CHECK(is_open(fds[0]));
    assigned = std::move(assigned);  // self-move keeps it
    CHECK(is_open(fds[0]));
  }
  CHECK_FALSE(is_open(fds[0]));
  Socket second(fds[1]);
  int raw = second.release();
  CHECK_FALSE(second);
  CHECK(is_open(raw));
  second.reset(raw);
  second.reset(raw);  // the same descriptor again: kept, not closed
  CHECK(is_open(raw));
  second.reset();
  CHECK_FALSE(is_open(raw));
}

TEST_CASE("Socket::local_address and peer_address") {
  Socket listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(listener);
  SocketAddress any("127.0.0.1", 0);
  REQUIRE(::bind(listener.fd(), any.data(), any.size()) == 0);
  REQUIRE(::listen(listener.fd(), 1) == 0);
  SocketAddress bound = listener.local_address();
  CHECK(bound.host() == "127.0.0.1");
  CHECK(bound.port() != 0);
  CHECK_THROWS_AS(listener.peer_address(), std::system_error);  // not connected
  CHECK_THROWS_AS(Socket().local_address(), std::system_error);
}
