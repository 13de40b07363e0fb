// The readiness Accepting: asyncio's _accept_connection, up to `backlog`
// accept4() calls each time the listening socket is readable.
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "reference/net/accepting.hpp"

namespace pep3156::reference::net {

namespace {

class ReadinessAccepting final : public Accepting {
 public:
  ReadinessAccepting(AbstractEventLoop& loop, int backlog) : loop_(loop), backlog_(backlog) {}

  void start(int fd, OnAccepted on_accepted, OnFailed on_failed) override {
    // Shared, so that a callback that ends the watch (stop(), the server
    // closing) does not destroy what is running.
    auto callbacks =
        std::make_shared<std::pair<OnAccepted, OnFailed>>(std::move(on_accepted), std::move(on_failed));
    loop_.add_reader(fd, [this, fd, callbacks] {
      auto running = callbacks;
      for (int i = 0; i < backlog_; ++i) {
        int conn = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) return;
          if (errno == EINTR || errno == ECONNABORTED) continue;  // that one is gone; try the next
          int error = errno;
          stop(fd);
          running->second(error);
          return;
        }
        if (!running->first(Socket(conn))) return;  // the server closed: `this` may be gone
      }
    });
  }

  void stop(int fd) noexcept override { loop_.remove_reader(fd); }

 private:
  AbstractEventLoop& loop_;
  int backlog_;
};

}  // namespace

std::unique_ptr<Accepting> readiness_accepting(AbstractEventLoop& loop, int backlog) {
  return std::make_unique<ReadinessAccepting>(loop, backlog);
}

}  // namespace pep3156::reference::net
