// Mutant of the I/O callbacks when a watched descriptor is closed by the
// caller: a loop that dies of it, as libuv aborts the process.
#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <set>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// Aborts the process when run_forever() finds that a descriptor it
/// watches for reading has been closed.
class AbortOnClosedReader final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int fd, Callback callback) override {
    inner().add_reader(fd, std::move(callback));
    watched_.insert(fd);
  }
  bool remove_reader(int fd) override {
    watched_.erase(fd);
    return inner().remove_reader(fd);
  }
  void run_forever() override {
    for (int fd : watched_) {
      if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) std::abort();
    }
    inner().run_forever();
  }

 private:
  std::set<int> watched_;
};
LOOPCERT_MUTANT({"abort_on_closed_reader", Expect::caught, "LOOP-RUNFOREVER-UNTIL-STOP",
                 "the process aborts when a descriptor watched by add_reader() was closed",
                 wrap<AbortOnClosedReader>});

}  // namespace
}  // namespace conformance::selftest
