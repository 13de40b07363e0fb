// Mutants that close a transport's descriptor number a second time, long
// after the transport closed it (when it may be someone else's descriptor).
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using namespace pep3156;

/// Closes the numbers it noted again when the loop is closed, long after
/// their owner closed them.
class StaleFdsClosedAtClose : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  void close() override {
    inner().close();
    for (int fd : std::exchange(stale_, {}))
      if (fd >= 0) ::close(fd);
  }

 protected:
  std::vector<int> stale_;
};

/// Remembers the descriptor of every client connection, pipe transport and
/// subprocess pipe it makes, and closes each number again when the loop is closed.
class TransportFdsClosedAgainAtClose final : public StaleFdsClosedAtClose {
 public:
  using StaleFdsClosedAtClose::StaleFdsClosedAtClose;

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
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options) override {
    auto starting = inner().subprocess_exec(std::move(factory), std::move(args), std::move(options));
    starting.add_done_callback([this](Future<SubprocessConnection> done) {
      if (done.cancelled() || done.exception()) return;
      for (int fd : {0, 1, 2})
        if (auto pipe = done.result().first->get_pipe_transport(fd))
          stale_.push_back(pipe->get_extra_info<int>("pipe", -1));
    });
    return starting;
  }
};
LOOPCERT_MUTANT(
    {"transport_fds_closed_again_at_close", Expect::caught, "TR-CLOSE-CONNECTION-LOST-NONE",
     "closes each connection's, pipe's and subprocess pipe's descriptor number again when the loop is closed",
     wrap<TransportFdsClosedAgainAtClose>});

/// A socket given to create_connection(sock=) whose attempt fails: closed
/// again at the loop's close().
class FailedGivenSocketClosedAgain final : public StaleFdsClosedAtClose {
 public:
  using StaleFdsClosedAtClose::StaleFdsClosedAtClose;
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options) override {
    int given = options.sock ? options.sock->fd() : -1;
    auto connecting =
        inner().create_connection(std::move(factory), std::move(host), port, std::move(options));
    connecting.add_done_callback([this, given](Future<StreamConnection> done) {
      if (done.cancelled() || done.exception()) stale_.push_back(given);
    });
    return connecting;
  }
};
LOOPCERT_MUTANT({"failed_given_socket_closed_again", Expect::caught, "LOOP-CONN-SOCK",
                 "closes the socket given to a failed create_connection(sock=) again when the loop is closed",
                 wrap<FailedGivenSocketClosedAgain>});

/// A listening socket given to create_server(sock=): closed again at the
/// loop's close(), after the server's close() closed it.
class GivenListeningSocketClosedAgain final : public StaleFdsClosedAtClose {
 public:
  using StaleFdsClosedAtClose::StaleFdsClosedAtClose;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options) override {
    if (options.sock) stale_.push_back(options.sock->fd());
    return inner().create_server(std::move(factory), std::move(host), port, std::move(options));
  }
};
LOOPCERT_MUTANT({"given_listening_socket_closed_again", Expect::caught, "LOOP-SERVER-SOCK",
                 "closes the listening socket given to create_server(sock=) again when the loop is closed",
                 wrap<GivenListeningSocketClosedAgain>});

}  // namespace
}  // namespace conformance::selftest
