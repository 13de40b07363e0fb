// Mutants of what an I/O registration leaves behind: one side of an fd
// taking the other with it, and a removal that is not one.
#include <set>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

/// remove_reader() drops the fd's writer too (an epoll loop that deletes
/// the fd from the interest set instead of modifying its events).
class RemoveReaderDropsWriter final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  bool remove_reader(int fd) override {
    inner().remove_writer(fd);
    return inner().remove_reader(fd);
  }
};
LOOPCERT_MUTANT({"remove_reader_drops_writer", Expect::caught, "LOOP-IO-REMOVE-READER",
                 "remove_reader() also removes the writer of the fd", wrap<RemoveReaderDropsWriter>});

/// remove_reader() only silences the callback: the fd stays registered
/// with the poller (with epoll: the open file, through any dup()).
class RemoveReaderKeepsRegistration final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int fd, pep3156::Callback callback) override {
    inner().add_reader(fd, std::move(callback));
    readers_.insert(fd);
  }
  bool remove_reader(int fd) override {
    if (readers_.erase(fd) == 0) return false;
    inner().add_reader(fd, [] {});
    return true;
  }

 private:
  std::set<int> readers_;
};
LOOPCERT_MUTANT({"remove_reader_keeps_registration", Expect::caught, "LOOP-IO-REMOVE-READER",
                 "remove_reader() leaves the fd registered with a callback that does nothing",
                 wrap<RemoveReaderKeepsRegistration>});

}  // namespace
}  // namespace conformance::selftest
