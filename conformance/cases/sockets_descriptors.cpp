// Wrapped socket methods (PEP 3156, "Wrapped Socket Methods"): the sockets
// passed to sock_*() stay the caller's (decision D-SOCK-1). The loop never
// closes them: not when the call completes, not when the loop is closed.
#include <unistd.h>

#include <cerrno>
#include <string>

#include "conformance/conformance.hpp"
#include "conformance/fd_reuse.hpp"

using namespace pep3156;

LOOPCERT_CASE("sockets.descriptors.caller_keeps_its_sockets",
              clauses("LOOP-SOCK-SENDALL", "LOOP-SOCK-RECV")) {
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  ctx.run_until_complete(*loop, loop->sock_sendall(pair.first.get(), to_bytes("ping")), "sock_sendall()");
  Bytes got = ctx.run_until_complete(*loop, loop->sock_recv(pair.second.get(), 4), "sock_recv()");
  CHECK_EQUAL(to_string(got), std::string("ping"), "sock_recv() gets what sock_sendall() sent");
  ctx.close(*loop);
  CHECK_THAT(conformance::is_open_fd(pair.first.get()) && conformance::is_open_fd(pair.second.get()),
             "the sockets passed to sock_sendall() and sock_recv() are still open after the loop was closed");
  conformance::write_all(pair.first.get(), "x", 1);
  char byte = 0;
  // EINTR, or EAGAIN while the byte is there, is the kernel's (or the fault
  // shim's) to return: read again.
  ssize_t n;
  while ((n = ::read(pair.second.get(), &byte, 1)) < 0 &&
         (errno == EINTR || (errno == EAGAIN && conformance::readable_now(pair.second.get())))) {
  }
  CHECK_THAT(n == 1 && byte == 'x', "and they still carry bytes");
}
