// socket_api.hpp on POSIX: sockets and pipes are descriptors.
#include <unistd.h>

#include "pep3156/errors.hpp"
#include "pep3156/socket_api.hpp"

namespace pep3156 {

void close_socket(int fd) noexcept { ::close(fd); }

int open_stream_socket(int family, int protocol) noexcept {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}

void throw_socket_error(const char* what) { throw_errno(what); }

}  // namespace pep3156
