// Mutants of I/O callback dispatch: readers run on a thread of their own,
// removals that lag, a loop that changes the fd's mode, a writer called once.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <thread>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using pep3156::Callback;

/// Each reader gets a thread that polls its fd and calls it there,
/// whatever callback the loop is running at the time.
class ReaderOnItsOwnThread final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int fd, Callback callback) override {
    watchers_.erase(fd);
    watchers_.emplace(fd, std::make_unique<Watcher>(fd, std::move(callback)));
  }
  bool remove_reader(int fd) override { return watchers_.erase(fd) > 0; }

 private:
  class Watcher {
   public:
    Watcher(int fd, Callback callback)
        : wake_(::eventfd(0, EFD_CLOEXEC)), thread_([this, fd, callback = std::move(callback)]() mutable {
            for (;;) {
              pollfd fds[2] = {{wake_, POLLIN, 0}, {fd, POLLIN, 0}};
              if (::poll(fds, 2, -1) < 0) continue;
              if (fds[0].revents != 0) return;
              if (fds[1].revents != 0) callback();
            }
          }) {}
    ~Watcher() {
      std::uint64_t one = 1;
      (void)!::write(wake_, &one, sizeof one);
      thread_.join();
      ::close(wake_);
    }

   private:
    int wake_;
    std::thread thread_;
  };
  std::map<int, std::unique_ptr<Watcher>> watchers_;
};
LOOPCERT_MUTANT({"reader_on_its_own_thread", Expect::caught, "LOOP-CALLBACKS-SERIALIZED",
                 "readers are called on a thread of their own, overlapping other callbacks",
                 wrap<ReaderOnItsOwnThread>});

/// remove_reader() says true but takes effect only on the next iteration:
/// a reader whose fd is ready is called once more.
class RemoveReaderLags final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  bool remove_reader(int fd) override {
    inner().call_soon([this, fd] { inner().remove_reader(fd); });
    return true;
  }
};
LOOPCERT_MUTANT({"remove_reader_lags", Expect::caught, "LOOP-IO-REMOVE-READER",
                 "remove_reader() takes effect one iteration late", wrap<RemoveReaderLags>});

/// add_reader() makes the fd non-blocking, remove_reader() makes it
/// blocking: the loop takes over the caller's descriptor.
class ReaderChangesFdMode final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int fd, Callback callback) override {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    inner().add_reader(fd, std::move(callback));
  }
  bool remove_reader(int fd) override {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return inner().remove_reader(fd);
  }
};
LOOPCERT_MUTANT({"reader_changes_fd_mode", Expect::caught, "LOOP-IO-SOCKETS-ALWAYS",
                 "add_reader() sets O_NONBLOCK and remove_reader() clears it", wrap<ReaderChangesFdMode>});

/// A writer is called once, then removed.
class WriterOneShot final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_writer;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_writer(int fd, Callback callback) override {
    auto shared = std::make_shared<Callback>(std::move(callback));
    inner().add_writer(fd, [this, fd, shared] {
      inner().call_soon([this, fd] { inner().remove_writer(fd); });
      (*shared)();
    });
  }
};
LOOPCERT_MUTANT({"writer_one_shot", Expect::caught, "LOOP-IO-WRITER",
                 "a writer is called once, not whenever the fd is writable", wrap<WriterOneShot>});

/// A second add_reader() on an fd keeps the first callback.
class AddReaderKeepsFirst final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::add_reader;
  using ForwardingEventLoop::ForwardingEventLoop;
  void add_reader(int fd, Callback callback) override {
    if (!watched_.emplace(fd, true).second) return;
    inner().add_reader(fd, std::move(callback));
  }
  bool remove_reader(int fd) override {
    watched_.erase(fd);
    return inner().remove_reader(fd);
  }

 private:
  std::map<int, bool> watched_;
};
LOOPCERT_MUTANT({"add_reader_keeps_first", Expect::caught, "LOOP-IO-ADD-REPLACES",
                 "a second add_reader() on the same fd is ignored", wrap<AddReaderKeepsFirst>});

}  // namespace
}  // namespace conformance::selftest
