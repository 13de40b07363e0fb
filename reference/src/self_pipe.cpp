#include "self_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "pep3156/errors.hpp"

namespace pep3156::reference {

void open_self_pipe(int& read_fd, int& write_fd) {
  int fds[2];
  if (::pipe(fds) != 0) throw_errno("pipe");
  // pipe2() would do this in one call, but macOS lacks it.
  for (int fd : fds) {
    if (::fcntl(fd, F_SETFL, O_NONBLOCK) != 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      int error = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      throw_system_error(error, "fcntl(self-pipe)");
    }
  }
  read_fd = fds[0];
  write_fd = fds[1];
}

}  // namespace pep3156::reference
