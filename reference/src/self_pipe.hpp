// The self-pipe trick's pipe: both ends non-blocking (a writer never
// blocks, a reader drains it until EAGAIN) and close-on-exec.
#pragma once

namespace pep3156::reference {

/// std::system_error if pipe() fails; both fds are closed again if
/// configuring them fails.
void open_self_pipe(int& read_fd, int& write_fd);

}  // namespace pep3156::reference
