// A descriptor closed while the loop watches it (PEP 3156, "I/O
// Callbacks").
//
// Closing an fd between add_reader() and the loop's next poll is a mistake
// of the caller, and the PEP says nothing of what the loop does then. It
// does not let the loop die of it (libuv aborts the process there): the
// loop may report an error (from run_forever() or remove_reader()), call
// the reader or not, but afterwards, once the registration is removed, it
// runs callbacks and watches other descriptors as before.
#include <unistd.h>

#include <string>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::str;

namespace {

/// Runs `what`; returns "" if it returned, else what it raised.
template <class F>
std::string error_of(F&& what) {
  try {
    what();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

LOOPCERT_CASE("io.add_reader.fd_closed_before_poll_loop_survives",
              clauses("LOOP-IO-READER-WHENEVER-READY", "LOOP-IO-REMOVE-READER",
                      "LOOP-RUNFOREVER-UNTIL-STOP")) {
  auto loop = ctx.new_loop();
  int closed_fd;
  {
    auto doomed = conformance::socket_pair();
    closed_fd = doomed.first.get();
    loop->add_reader(closed_fd, [] {});
  }  // both ends closed here, before the loop ever polls closed_fd
  loop->call_soon([&] { loop->stop(); });
  std::string run_error = error_of([&] { ctx.run_forever(*loop, "one iteration with a closed fd watched"); });
  std::string remove_error = error_of([&] { loop->remove_reader(closed_fd); });
  CHECK_THAT(!loop->is_running(), str("run_forever() has returned, and is_running() says so (run_forever() ",
                                      run_error.empty() ? "returned" : "raised: " + run_error, ")"));

  // The loop goes on: a callback runs, and a reader on a new socket is
  // called once it is readable (the new socket may reuse the closed number).
  auto pair = conformance::socket_pair();
  int calls = 0;
  loop->add_reader(pair.first.get(), [&] {
    if (conformance::read_one(pair.first.get())) ++calls;
  });
  char byte = 'x';
  conformance::write_all(pair.second.get(), &byte, 1);
  bool soon_ran = false;
  loop->call_soon([&] { soon_ran = true; });
  conformance::run_until(
      ctx, *loop, [&] { return calls > 0 && soon_ran; }, "a reader on a new socket after one on a closed fd");
  loop->remove_reader(pair.first.get());
  CHECK_THAT(calls == 1 && soon_ran,
             str("after a watched fd was closed (run_forever() ", run_error.empty() ? "returned" : "raised",
                 ", remove_reader() ", remove_error.empty() ? "returned" : "raised: " + remove_error,
                 "), the loop still runs callbacks and readers"));
}
