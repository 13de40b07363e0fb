// Mutants of the I/O callbacks and of the optional categories.
#include <memory>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// A reader is called once, then removed: readiness behaves like an edge
/// that is never re-armed while data remains.
class ReaderOneShot final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int fd, Callback callback) override {
    auto shared = std::make_shared<Callback>(std::move(callback));
    inner().add_reader(fd, [this, fd, shared] {
      (*shared)();
      // Removed from a later callback: removing it here would destroy the
      // callback that is running.
      inner().call_soon([this, fd] { inner().remove_reader(fd); });
    });
  }
};
LOOPCERT_MUTANT({"reader_one_shot", Expect::caught, "LOOP-IO-READER-WHENEVER-READY",
                 "a reader is called once, not whenever the fd is readable", wrap<ReaderOneShot>});

/// Declares no I/O callbacks, yet its add_reader() and friends neither work
/// nor raise NotImplementedError.
class IoSilentlyMissing final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::add_writer;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int, Callback) override {}
  bool remove_reader(int) override { return false; }
  void add_writer(int, Callback) override {}
  bool remove_writer(int) override { return false; }
};
LOOPCERT_MUTANT({"io_undeclared_silent", Expect::caught, "TIER-OPTIONAL-NIE",
                 "declares no I/O callbacks, but add_reader() does not raise NotImplementedError",
                 wrap<IoSilentlyMissing>, without<pep3156::Category::io_callbacks>});

}  // namespace
}  // namespace conformance::selftest
