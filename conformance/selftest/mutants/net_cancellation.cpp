// Mutants that ignore the cancellation of a pending network operation: the
// Future they return is a shield() over the correct loop's, so cancelling
// it leaves the operation going.
#include <memory>
#include <string>
#include <utility>

#include "../mutant.hpp"
#include "pep3156/tasks.hpp"

namespace conformance::selftest {
namespace {

using namespace pep3156;

class CreateConnectionCancelIgnored final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options) override {
    return shield<StreamConnection>(
        inner().create_connection(std::move(factory), std::move(host), port, std::move(options)), this);
  }
};
LOOPCERT_MUTANT({"create_connection_cancel_ignored", Expect::caught, "PROTO-SEQ-CONNECTION-LOST-ONCE",
                 "a cancelled create_connection() still connects, and the connection is never closed",
                 wrap<CreateConnectionCancelIgnored>});

class SockRecvCancelIgnored final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  Future<Bytes> sock_recv(int fd, std::size_t n) override {
    return shield<Bytes>(inner().sock_recv(fd, n), this);
  }
};
LOOPCERT_MUTANT({"sock_recv_cancel_ignored", Expect::caught, "LOOP-SOCK-RECV",
                 "a cancelled sock_recv() still reads, and the bytes it reads are lost",
                 wrap<SockRecvCancelIgnored>});

}  // namespace
}  // namespace conformance::selftest
