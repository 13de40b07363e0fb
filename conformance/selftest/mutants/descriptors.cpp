// Mutants that close a transport's descriptor number a second time, long
// after the transport closed it (when it may be someone else's descriptor).
#include <unistd.h>

#include <utility>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using namespace pep3156;

/// Remembers the descriptor of every client connection and pipe transport
/// it makes, and closes each number again when the loop is closed.
class TransportFdsClosedAgainAtClose final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;

  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options) override {
    auto connecting =
        inner().create_connection(std::move(factory), std::move(host), port, std::move(options));
    connecting.add_done_callback([this](Future<StreamConnection> done) {
      if (!done.cancelled() && !done.exception())
        stale_.push_back(done.result().first->get_extra_info<int>("socket", -1));
    });
    return connecting;
  }
  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe) override {
    stale_.push_back(pipe.fd());
    return inner().connect_read_pipe(std::move(factory), std::move(pipe));
  }
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe) override {
    stale_.push_back(pipe.fd());
    return inner().connect_write_pipe(std::move(factory), std::move(pipe));
  }
  void close() override {
    inner().close();
    for (int fd : std::exchange(stale_, {}))
      if (fd >= 0) ::close(fd);
  }

 private:
  std::vector<int> stale_;
};
LOOPCERT_MUTANT({"transport_fds_closed_again_at_close", Expect::caught, "TR-CLOSE-CONNECTION-LOST-NONE",
                 "closes each connection's and pipe's descriptor number again when the loop is closed",
                 wrap<TransportFdsClosedAgainAtClose>});

}  // namespace
}  // namespace conformance::selftest
