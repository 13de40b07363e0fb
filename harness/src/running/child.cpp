#include "running/child.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "conformance/case.hpp"
#include "conformance/context.hpp"
#include "running/fd_table.hpp"
#include "running/wire.hpp"

namespace loopcert {

namespace {
/// Writes the case's messages to the runner's pipe.
class PipeSink final : public conformance::ResultSink {
 public:
  explicit PipeSink(int fd) : fd_(fd) {}
  void failure(const conformance::Failure& failure) override { send(encode_failure(failure)); }
  void finish(const conformance::CaseResult& result) override { send(encode_result(result)); }

 private:
  void send(const std::string& line) {
    const char* next = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, next, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // the runner is gone; nobody is left to tell
      next += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  int fd_;
};
}  // namespace

int run_one_case(std::string_view case_id, const pep3156::Adapter& adapter, double watchdog_seconds,
                 int result_fd) {
  const conformance::CaseInfo* info = conformance::find_case(case_id);
  if (info == nullptr) {
    std::fprintf(stderr, "loopcert: no case named '%.*s'\n", static_cast<int>(case_id.size()),
                 case_id.data());
    return 2;
  }
  // Every case starts in release mode; a case about debug mode sets
  // PEP3156_DEBUG itself before it makes a loop (decision D-ERR-4).
  ::unsetenv("PEP3156_DEBUG");
  PipeSink sink(result_fd);
  // What the library opens once per process is not the case's to release.
  if (adapter.prepare_process != nullptr) adapter.prepare_process();
  FdTable before = snapshot_fds();
  conformance::Context ctx(adapter, conformance::ContextSettings{watchdog_seconds}, sink);
  ctx.execute(info->body);
  int alive = ctx.tear_down();
  // The loops are closed and released: every descriptor the case or the
  // loop opened must be closed again (LOOP-CLOSE-RELEASES).
  std::string leaked = describe_new_fds(before, snapshot_fds());
  if (!leaked.empty()) {
    std::string message = "leaked fds: " + leaked;
    if (alive > 0) {
      message +=
          conformance::str("; ", alive, " loop(s) were still referenced after close(), so never destroyed");
    }
    ctx.check(false, "", message, std::source_location());
  }
  ctx.finish(ctx.result());
  return 0;
}

}  // namespace loopcert
