// kqueue() and kevent() for Linux, modelling what kqueue_poller.cpp relies
// on from BSD kernels (kqueue(2); FreeBSD sys/kern/kern_event.c):
//   - a filter is keyed by (fd, filter); EV_ADD adds it, or updates it if it
//     is there; EV_DELETE of a filter that is not there fails with ENOENT;
//     either, for an fd that is not open, fails with EBADF (kqueue_register()
//     looks the fd up first);
//   - close() drops every filter of the fd (knote_fdclose()), so a new file
//     that gets the same number starts with none;
//   - a change that fails with no room for events makes kevent() return -1
//     with its errno (the poller applies changes with nevents = 0);
//   - readiness is level-triggered: EVFILT_READ while there is data or EOF
//     (EV_EOF), EVFILT_WRITE while there is room (EV_EOF once the peer is gone).
// The model notices a close when it next runs: a registered fd that is no
// longer open, or is open on another file (device and inode), lost its
// filters. It is a test double, not a kqueue: no other filter, no EV_ONESHOT.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/event.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace {

struct FileIdentity {
  dev_t device;
  ino_t inode;
  bool operator==(const FileIdentity&) const = default;
};

bool identify(int fd, FileIdentity& identity) {
  struct stat status;
  if (::fstat(fd, &status) != 0) return false;
  identity = {status.st_dev, status.st_ino};
  return true;
}

/// One kqueue: (fd, filter) -> the file the filter was added for.
using Filters = std::map<std::pair<int, short>, FileIdentity>;

std::mutex queues_mutex;
std::map<int, Filters> queues;  // by the kqueue's own descriptor

/// What close() would have dropped already.
void forget_closed_files(Filters& filters) {
  std::erase_if(filters, [](const auto& entry) {
    FileIdentity now;
    return !identify(entry.first.first, now) || !(now == entry.second);
  });
}

int apply(Filters& filters, const struct kevent& change) {
  const int fd = static_cast<int>(change.ident);
  FileIdentity file;
  if (!identify(fd, file)) return EBADF;
  const auto key = std::make_pair(fd, change.filter);
  if ((change.flags & EV_ADD) != 0) {
    filters[key] = file;
    return 0;
  }
  if ((change.flags & EV_DELETE) != 0) return filters.erase(key) == 1 ? 0 : ENOENT;
  return EINVAL;
}

int collect(const Filters& filters, struct kevent* events, int capacity, const struct timespec* timeout) {
  std::vector<pollfd> watched;
  std::vector<short> filter_of;
  for (const auto& [key, file] : filters) {
    watched.push_back({key.first, static_cast<short>(key.second == EVFILT_READ ? POLLIN : POLLOUT), 0});
    filter_of.push_back(key.second);
  }
  if (::ppoll(watched.data(), watched.size(), timeout, nullptr) < 0) return -1;
  int count = 0;
  for (std::size_t i = 0; i < watched.size() && count < capacity; ++i) {
    const short seen = watched[i].revents;
    const bool hung_up = (seen & (POLLHUP | POLLERR)) != 0;
    if ((seen & watched[i].events) == 0 && !hung_up) continue;
    EV_SET(&events[count], static_cast<uintptr_t>(watched[i].fd), filter_of[i], hung_up ? EV_EOF : 0, 0, 0,
           nullptr);
    ++count;
  }
  return count;
}

}  // namespace

int kqueue(void) {
  // A descriptor of its own, as a real kqueue is: the poller closes it.
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::lock_guard lock(queues_mutex);
  queues[fd] = {};  // a number reused from a closed kqueue starts empty
  return fd;
}

int kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist, int nevents,
           const struct timespec* timeout) {
  Filters snapshot;
  {
    std::lock_guard lock(queues_mutex);
    auto queue = queues.find(kq);
    if (queue == queues.end()) {
      errno = EBADF;
      return -1;
    }
    forget_closed_files(queue->second);
    for (int i = 0; i < nchanges; ++i) {
      if (int error = apply(queue->second, changelist[i])) {
        errno = error;
        return -1;
      }
    }
    if (nevents == 0) return 0;
    snapshot = queue->second;
  }
  return collect(snapshot, eventlist, nevents, timeout);
}
