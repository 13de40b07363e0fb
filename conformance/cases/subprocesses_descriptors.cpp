// Subprocesses (PEP 3156, "Subprocess Transports"): the pipes to the child
// are the loop's, closed once. After connection_lost() each pipe's number
// is closed, and never closed again later, when it may be someone else's
// descriptor (conformance/fd_reuse.hpp).
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/fd_reuse.hpp"
#include "conformance/subprocess_support.hpp"

using namespace pep3156;
using namespace subprocess_support;

LOOPCERT_CASE("subprocesses.descriptors.pipes_closed_once",
              clauses("TR-SUBPROC-PIPE-TRANSPORT", "PROTO-SUBPROC-PIPE-LOST")) {
  auto loop = ctx.new_loop();
  Child child(ctx, *loop);
  child.exec({"/bin/true"});
  std::vector<int> numbers;
  for (int fd : {0, 1, 2}) {
    auto pipe = child.transport->get_pipe_transport(fd);
    REQUIRE_THAT(pipe != nullptr, conformance::str("get_pipe_transport(", fd, ") is the child's pipe"));
    int number = pipe->get_extra_info<int>("pipe", -1);
    if (number < 0) ctx.unsupported("the pipe transports do not give get_extra_info('pipe')");
    numbers.push_back(number);
  }
  child.finish();
  check_closed_once(ctx, *loop, numbers, "a pipe to the child", [&] {
    child.transport.reset();
    child.protocol->transport.reset();
  });
}
