#include "subprocess_transport.hpp"

#include "reference/net/stream_transport.hpp"
#include "spawn.hpp"

namespace pep3156::reference::subprocess {

/// The protocol of one pipe transport: what happens on the pipe goes to the
/// SubprocessTransport with the pipe's fd number. It holds the
/// SubprocessTransport until the pipe is lost.
class SubprocessTransport::Pipe final : public Protocol {
 public:
  Pipe(std::shared_ptr<SubprocessTransport> owner, int fd) : owner_(std::move(owner)), fd_(fd) {}

  void data_received(BytesView data) override { owner_->pipe_data_received(fd_, data); }
  // false: the read pipe closes, and connection_lost() follows.
  bool eof_received() override { return false; }
  void connection_lost(std::exception_ptr exc) override {
    std::exchange(owner_, nullptr)->pipe_connection_lost(fd_, exc);
  }
  // Flow control of the stdin pipe (PROTO-SUBPROC-BASE-METHODS).
  void pause_writing() override { owner_->pipe_pause_writing(); }
  void resume_writing() override { owner_->pipe_resume_writing(); }

 private:
  std::shared_ptr<SubprocessTransport> owner_;
  int fd_;
};

std::shared_ptr<SubprocessTransport> SubprocessTransport::start(AbstractEventLoop& loop,
                                                                std::shared_ptr<SubprocessProtocol> protocol,
                                                                const std::vector<std::string>& args,
                                                                const SubprocessOptions& options) {
  SpawnedChild spawned = spawn(args, options);
  // From here on the Child kills and reaps the child if anything fails.
  auto transport = std::make_shared<SubprocessTransport>(Private{}, loop, std::move(protocol), spawned.pid);
  transport->connect_pipes(spawned.pipes);
  transport->child_.watch(loop, [transport] { transport->process_exited(); });
  try {
    transport->protocol_->connection_made(transport);
  } catch (...) {
    transport->close();
    throw;
  }
  return transport;
}

SubprocessTransport::SubprocessTransport(Private, AbstractEventLoop& loop,
                                         std::shared_ptr<SubprocessProtocol> protocol, pid_t pid)
    : loop_(loop), protocol_(std::move(protocol)), child_(pid) {}

void SubprocessTransport::connect_pipes(std::array<Socket, 3>& pipes) {
  for (int fd = 0; fd < 3; ++fd) {
    if (!pipes[fd]) continue;
    auto pipe = std::make_shared<Pipe>(shared_from_this(), fd);
    if (fd == 0) {  // the child's stdin: we write (LOOP-PIPE-WRITE: no read methods)
      pipes_[fd] =
          net::WritePipeTransport::start(loop_, std::move(pipes[fd]), net::StreamKind::write_pipe, pipe);
    } else {
      pipes_[fd] = net::StreamTransport::start(loop_, std::move(pipes[fd]), net::StreamKind::read_pipe, pipe);
    }
    ++open_pipes_;
  }
}

std::shared_ptr<BaseTransport> SubprocessTransport::get_pipe_transport(int fd) const {
  return fd >= 0 && fd < 3 ? pipes_[fd] : nullptr;
}

void SubprocessTransport::send_signal(int signal) { child_.send_signal(signal); }

void SubprocessTransport::close() {
  if (closed_) return;
  closed_ = true;
  // The signal first: a child that writes to a pipe closed under it would
  // otherwise die of SIGPIPE rather than SIGTERM.
  child_.send_signal(SIGTERM);
  for (const auto& pipe : pipes_) {
    if (pipe) pipe->close();
  }
}

std::any SubprocessTransport::get_extra_info(std::string_view) const { return {}; }

// --- What the pipes and the child report ------------------------------------------

void SubprocessTransport::pipe_data_received(int fd, BytesView data) {
  protocol_->pipe_data_received(fd, data);  // PROTO-SUBPROC-PIPE-DATA
}

void SubprocessTransport::pipe_connection_lost(int fd, std::exception_ptr exc) {
  --open_pipes_;
  protocol_->pipe_connection_lost(fd, exc);  // PROTO-SUBPROC-PIPE-LOST
  finish_if_done();
}

void SubprocessTransport::pipe_pause_writing() { protocol_->pause_writing(); }
void SubprocessTransport::pipe_resume_writing() { protocol_->resume_writing(); }

void SubprocessTransport::process_exited() {
  protocol_->process_exited();  // PROTO-SUBPROC-EXITED: get_returncode() is set
  finish_if_done();
}

void SubprocessTransport::finish_if_done() {
  if (!child_.returncode() || open_pipes_ > 0 || !protocol_) return;
  // connection_lost() once, last; then the protocol is released (D-TR-1).
  std::exchange(protocol_, nullptr)->connection_lost(nullptr);
}

}  // namespace pep3156::reference::subprocess
