// Runs the echo example: echo_server, then echo_client against it.
#include <signal.h>

#include "net_testing.hpp"

using pep3156::testing::ChildProcess;

TEST_CASE("echo_client gets back what it sent to echo_server, which stops on SIGTERM") {
  ChildProcess server({ECHO_SERVER});
  std::string serving = server.read_line();  // "serving on 127.0.0.1:PORT"
  REQUIRE(serving.starts_with("serving on 127.0.0.1:"));
  std::string port = serving.substr(serving.rfind(':') + 1);

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
