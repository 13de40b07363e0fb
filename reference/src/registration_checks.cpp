// check_registration(): the argument checks that every Poller::add(),
// Poller::modify() and Proactor::poll() starts with, in a file of its own
// so that a build with proactors and no pollers (Windows) links it too.
#include <string>

#include "backends.hpp"
#include "pep3156/errors.hpp"

namespace pep3156::reference {

void check_registration(int fd, Events events) {
  if (fd < 0) throw ValueError("invalid file descriptor " + std::to_string(fd));
  if (events != Events::readable && events != Events::writable &&
      events != (Events::readable | Events::writable)) {
    throw ValueError("a poller watches for readable, writable or both");
  }
}

}  // namespace pep3156::reference
