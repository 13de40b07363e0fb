// Runs the echo example: echo_server, then echo_client against it; then what
// each does on a bad port, a refused connection, and SIGTERM with a client
// still connected.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include "net_testing.hpp"

using pep3156::testing::ChildProcess;

namespace {
/// The port a freshly started echo_server prints.
std::string serving_port(ChildProcess& server) {
  std::string serving = server.read_line();  // "serving on 127.0.0.1:PORT"
  REQUIRE(serving.starts_with("serving on 127.0.0.1:"));
  return serving.substr(serving.rfind(':') + 1);
}

/// Runs an example with its stderr joined to its stdout; returns what it
/// printed and sets `status` to its exit status.
std::string run_joined(const std::string& command, int& status) {
  ChildProcess child({"/bin/sh", "-c", command + " 2>&1"});
  std::string printed = child.read_rest();
  status = child.wait();
  return printed;
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then let go).
std::string closed_port() {
  pep3156::Socket s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return std::to_string(s.local_address().port());
}

/// A blocking TCP connection to 127.0.0.1:port.
pep3156::Socket connect_to(const std::string& port) {
  pep3156::Socket s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  REQUIRE(::connect(s.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return s;
}
}  // namespace

TEST_CASE("echo_client gets back what it sent to echo_server, which stops on SIGTERM") {
  ChildProcess server({ECHO_SERVER});
  std::string port = serving_port(server);

  ChildProcess client({ECHO_CLIENT, port, "hello,", "echo"});
  CHECK(client.read_rest() == "hello, echo\n");
  CHECK(client.wait() == 0);

#ifdef __SANITIZE_THREAD__
  // ThreadSanitizer runs a signal's handler only at the thread's next
  // intercepted libc call, and the loop's blocked poller wait is not one:
  // the server would not see SIGTERM until some I/O woke it.
  server.kill(SIGKILL);
#else
  CHECK(server.kill(SIGTERM) == 0);
#endif
}

#ifndef __SANITIZE_THREAD__  // see above: SIGTERM would wait for I/O
TEST_CASE("echo_server stops on SIGTERM while a client is connected, and closes the connection") {
  ChildProcess server({ECHO_SERVER});
  pep3156::Socket connection = connect_to(serving_port(server));
  // A round trip: the server has accepted the connection.
  pep3156::testing::write_all(connection.fd(), "x");
  char echoed = 0;
  REQUIRE(::recv(connection.fd(), &echoed, 1, MSG_WAITALL) == 1);
  CHECK(echoed == 'x');

  CHECK(server.kill(SIGTERM) == 0);
  CHECK(pep3156::testing::read_to_eof(connection.fd()).empty());  // closed by the server
}
#endif

TEST_CASE("the echo examples refuse a bad port with a message and status 2") {
  int status = 0;
  for (const char* port : {"x", "80x", "70000", "-1", ""}) {
    CAPTURE(port);
    std::string quoted = std::string("'") + port + "'";
    CHECK(run_joined(std::string(ECHO_CLIENT) + " " + quoted + " hello", status)
              .starts_with("echo_client: PORT must be a number from 1 to 65535"));
    CHECK(status == 2);
    CHECK(run_joined(std::string(ECHO_SERVER) + " " + quoted, status)
              .starts_with("echo_server: PORT must be a number from 0 to 65535"));
    CHECK(status == 2);
  }
  CHECK(run_joined(std::string(ECHO_CLIENT) + " 0 hello", status).starts_with("echo_client: PORT must be"));
}

TEST_CASE("echo_client says so and exits with status 1 when the connection is refused") {
  int status = 0;
  std::string port = closed_port();
  std::string printed = run_joined(std::string(ECHO_CLIENT) + " " + port + " hello", status);
  CHECK(printed.starts_with("echo_client: cannot connect to 127.0.0.1:" + port + ": "));
  CHECK(status == 1);
}
