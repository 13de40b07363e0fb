#include "echo_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "pep3156/errors.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/server.hpp"
#include "pep3156/transports.hpp"

namespace loopbench {

namespace {

// A safety net, never reached by a working loop: how long the loop runs
// waiting for connections or for the server to close.
constexpr double kSafetySeconds = 10.0;

class EchoProtocol : public pep3156::Protocol {
 public:
  void connection_made(std::shared_ptr<pep3156::BaseTransport> transport) override {
    transport_ = std::dynamic_pointer_cast<pep3156::Transport>(transport);
  }
  void data_received(pep3156::BytesView data) override { transport_->write(data); }
  void connection_lost(std::exception_ptr) override { transport_.reset(); }  // the transport holds us

 private:
  std::shared_ptr<pep3156::Transport> transport_;
};

}  // namespace

LoopEchoServer::LoopEchoServer(pep3156::AbstractEventLoop& loop) : loop_(loop) {
  pep3156::ServerOptions options;
  options.backlog = kBacklog;
  auto factory = [this]() -> std::shared_ptr<pep3156::Protocol> {
    if (++accepted_ == stop_at_) loop_.stop();
    return std::make_shared<EchoProtocol>();
  };
  server_ = loop_.run_until_complete(loop_.create_server(factory, "127.0.0.1", 0, std::move(options)));
  port_ = server_->sockets().at(0).address.port();
}

LoopEchoServer::~LoopEchoServer() {
  server_->close();
  pep3156::TimerHandle safety = loop_.call_later(kSafetySeconds, [this] { loop_.stop(); });
  try {
    loop_.run_until_complete(server_->wait_closed());
  } catch (const std::exception&) {
    // Stopped by the safety net: the loop is closed next all the same.
  }
  safety.cancel();
}

void LoopEchoServer::run_until_accepted(long count) {
  if (accepted_ < count) {
    stop_at_ = count;
    pep3156::TimerHandle safety = loop_.call_later(kSafetySeconds, [this] { loop_.stop(); });
    loop_.run_forever();
    safety.cancel();
    stop_at_ = -1;
  }
  if (accepted_ < count) {
    throw std::runtime_error("the server accepted " + std::to_string(accepted_) + " of " +
                             std::to_string(count) + " connections in " +
                             std::to_string(static_cast<int>(kSafetySeconds)) + " s");
  }
}

RawEchoServer::RawEchoServer()
    : listener_(make_tcp_listener()),
      epoll_(make_epoll()),
      stop_(make_eventfd()),
      port_(local_port(listener_.get())) {
  set_non_blocking(listener_.get());
  epoll_watch(epoll_.get(), listener_.get());
  epoll_watch(epoll_.get(), stop_.get());
}

void RawEchoServer::run_until_accepted(long count) {
  while (static_cast<long>(connections_.size()) < count && poll_once()) {
  }
}

void RawEchoServer::run_until_stopped() {
  while (poll_once()) {
  }
}

void RawEchoServer::stop() {
  std::uint64_t one = 1;
  write_all(stop_.get(), &one, sizeof one);
}

bool RawEchoServer::poll_once() {
  epoll_event events[64];
  int ready = ::epoll_wait(epoll_.get(), events, 64, -1);
  if (ready < 0 && errno == EINTR) return true;
  if (ready < 0) pep3156::throw_errno("epoll_wait");
  for (int i = 0; i < ready; ++i) {
    int fd = events[i].data.fd;
    if (fd == stop_.get()) return false;
    if (fd == listener_.get()) {
      int accepted;
      while ((accepted = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
        connections_.emplace_back(accepted);
        epoll_watch(epoll_.get(), accepted);
      }
      if (errno != EAGAIN) pep3156::throw_errno("accept4");
      continue;
    }
    char buffer[65536];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      // The probes' messages fit in an empty socket buffer: a blocking
      // write, which this is, returns at once.
      write_all(fd, buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd,
                  nullptr);  // the client left; its Fd closes with the server
    } else if (errno != EAGAIN && errno != EINTR) {
      pep3156::throw_errno("read");
    }
  }
  return true;
}

RawEchoThread::RawEchoThread(RawEchoServer& server)
    : server_(server), thread_([this] {
        try {
          server_.run_until_stopped();
        } catch (const std::exception&) {
          // The probe's load generator stalls and says so.
        }
      }) {}

RawEchoThread::~RawEchoThread() {
  server_.stop();
  thread_.join();
}

}  // namespace loopbench
