#include "reference/net/subprocess_calls.hpp"

#include <utility>

namespace pep3156::reference::net {

/// What happens on one pipe's transport goes to the SubprocessCalls with
/// the pipe's fd number, which it holds until the pipe is lost.
class SubprocessCalls::Pipe final : public Protocol {
 public:
  Pipe(std::shared_ptr<SubprocessCalls> owner, int fd) : owner_(std::move(owner)), fd_(fd) {}
  void data_received(BytesView data) override { owner_->protocol_->pipe_data_received(fd_, data); }
  bool eof_received() override { return false; }  // the read pipe closes; connection_lost() follows
  void connection_lost(std::exception_ptr exc) override {
    std::exchange(owner_, nullptr)->pipe_connection_lost(fd_, exc);
  }
  void pause_writing() override { owner_->protocol_->pause_writing(); }
  void resume_writing() override { owner_->protocol_->resume_writing(); }

 private:
  std::shared_ptr<SubprocessCalls> owner_;
  int fd_;
};

std::shared_ptr<Protocol> SubprocessCalls::pipe_protocol(int fd) {
  ++open_pipes_;
  return std::make_shared<Pipe>(shared_from_this(), fd);
}

void SubprocessCalls::pipe_connection_lost(int fd, std::exception_ptr exc) {
  --open_pipes_;
  protocol_->pipe_connection_lost(fd, exc);  // PROTO-SUBPROC-PIPE-LOST
  finish_if_done();
}

void SubprocessCalls::process_exited() {
  exited_ = true;
  protocol_->process_exited();  // PROTO-SUBPROC-EXITED
  finish_if_done();
}

void SubprocessCalls::finish_if_done() {
  // After process_exited() has run, not merely once the child is reaped:
  // the last pipe's loss may run between the reaping and that callback,
  // and connection_lost() comes last (D-TR-1).
  if (!exited_ || open_pipes_ > 0 || !protocol_) return;
  std::exchange(protocol_, nullptr)->connection_lost(nullptr);  // once, last (D-TR-1)
}

}  // namespace pep3156::reference::net
