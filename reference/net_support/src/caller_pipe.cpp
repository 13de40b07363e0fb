#include "reference/net/caller_pipe.hpp"

#include <sys/stat.h>

#include <string>

#include "pep3156/errors.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

void check_caller_pipe(const Socket& pipe, const char* method) {
  unsigned mode = file_mode(pipe.fd());
  if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISCHR(mode)) {
    throw ValueError(std::string(method) + ": only pipes, sockets and character devices can be polled");
  }
  require_nonblocking(pipe.fd(), method);
}

}  // namespace pep3156::reference::net
