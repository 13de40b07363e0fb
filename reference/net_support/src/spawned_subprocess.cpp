#include "reference/net/spawned_subprocess.hpp"

#include <signal.h>

namespace pep3156::reference::net {

SpawnedSubprocess::SpawnedSubprocess(std::shared_ptr<SubprocessProtocol> protocol, pid_t pid)
    : child_(pid), calls_(std::make_shared<SubprocessCalls>(std::move(protocol))) {}

std::shared_ptr<BaseTransport> SpawnedSubprocess::get_pipe_transport(int fd) const {
  return fd >= 0 && fd < 3 ? pipes_[fd] : nullptr;
}

void SpawnedSubprocess::close() {
  if (closed_) return;
  closed_ = true;
  // The signal first: a child writing to a pipe closed under it would
  // otherwise die of SIGPIPE rather than SIGTERM.
  child_.send_signal(SIGTERM);
  for (const auto& pipe : pipes_) {
    if (pipe) pipe->close();
  }
}

void SpawnedSubprocess::begin(std::array<Socket, 3> pipes) {
  for (int fd = 0; fd < 3; ++fd) {
    if (pipes[fd]) pipes_[fd] = start_pipe(fd, std::move(pipes[fd]), calls_->pipe_protocol(fd));
  }
  watch_exit();
  try {
    calls_->connection_made(shared_from_this());
  } catch (...) {
    close();
    throw;
  }
}

std::function<void()> SpawnedSubprocess::on_pidfd_readable() {
  return [self = shared_from_this()] { self->pidfd_readable(); };
}

void SpawnedSubprocess::pidfd_readable() {
  if (child_.returncode()) return;  // reported already
  if (!child_.try_reap()) {
    watch_exit();
    return;
  }
  calls_->process_exited();  // get_returncode() is set
}

}  // namespace pep3156::reference::net
