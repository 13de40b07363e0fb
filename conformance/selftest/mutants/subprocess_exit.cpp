// Mutants of what a loop does with a subprocess once the child has exited.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using namespace pep3156;

/// Forwards every call to the caller's subprocess protocol, except the
/// output that arrives after process_exited(), which it drops.
class OutputAfterExitDropped final : public SubprocessProtocol {
 public:
  explicit OutputAfterExitDropped(std::shared_ptr<SubprocessProtocol> user) : user_(std::move(user)) {}

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    user_->connection_made(std::move(transport));
  }
  void pipe_data_received(int fd, BytesView data) override {
    if (!exited_) user_->pipe_data_received(fd, data);
  }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override { user_->pipe_connection_lost(fd, exc); }
  void process_exited() override {
    exited_ = true;
    user_->process_exited();
  }
  void pause_writing() override { user_->pause_writing(); }
  void resume_writing() override { user_->resume_writing(); }
  void connection_lost(std::exception_ptr exc) override { user_->connection_lost(exc); }

 private:
  std::shared_ptr<SubprocessProtocol> user_;
  bool exited_ = false;
};

class SubprocessOutputAfterExitDropped final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;

  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options) override {
    return inner().subprocess_shell(dropping(std::move(factory)), std::move(command), std::move(options));
  }
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options) override {
    return inner().subprocess_exec(dropping(std::move(factory)), std::move(args), std::move(options));
  }

 private:
  static SubprocessProtocolFactory dropping(SubprocessProtocolFactory factory) {
    return [factory = std::move(factory)]() -> std::shared_ptr<SubprocessProtocol> {
      auto user = factory();
      if (!user) return nullptr;  // the correct loop rejects it
      return std::make_shared<OutputAfterExitDropped>(std::move(user));
    };
  }
};
LOOPCERT_MUTANT({"subprocess_output_after_exit_dropped", Expect::caught, "PROTO-SUBPROC-PIPE-DATA",
                 "drops the child's output that the loop reads after the child exited",
                 wrap<SubprocessOutputAfterExitDropped>});

}  // namespace
}  // namespace conformance::selftest
