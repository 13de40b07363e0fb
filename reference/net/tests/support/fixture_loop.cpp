#include "fixture_loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "reference/net/loop_methods.hpp"
#include "reference/net/name_lookup.hpp"
#include "reference/net/sock_methods.hpp"

namespace pep3156::testing {

FixtureLoop::FixtureLoop() : wakeup_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FixtureLoop::~FixtureLoop() {
  release_tasks();
  ::close(wakeup_fd_);
}

void FixtureLoop::check_open() const {
  if (closed_) throw RuntimeError("the event loop is closed");
}

void FixtureLoop::close() {
  if (running_) throw RuntimeError("close(): running");
  if (closed_) return;
  closed_ = true;
  ready_.clear();
  timers_.clear();
  watches_.clear();
  shutdown_default_executor();
}

double FixtureLoop::time() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Handle FixtureLoop::call_soon(Callback callback) {
  check_open();
  auto state = std::make_shared<HandleState>(std::move(callback));
  ready_.push_back(state);
  return Handle(state);
}

TimerHandle FixtureLoop::call_at(double when, Callback callback) {
  check_open();
  auto state = std::make_shared<TimerHandleState>(when, std::move(callback));
  timers_.push_back(state);
  return TimerHandle(state);
}

Handle FixtureLoop::call_soon_threadsafe(Callback callback) {
  auto state = std::make_shared<HandleState>(std::move(callback));
  {
    std::lock_guard lock(threadsafe_mutex_);
    if (closed_) throw RuntimeError("the event loop is closed");
    threadsafe_.push_back(state);
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wakeup_fd_, &one, sizeof one);
  return Handle(state);
}

void FixtureLoop::add_reader(int fd, Callback callback) {
  check_open();
  remove_reader(fd);
  watches_[fd].reader = std::make_shared<HandleState>(std::move(callback));
}

void FixtureLoop::add_writer(int fd, Callback callback) {
  check_open();
  remove_writer(fd);
  watches_[fd].writer = std::make_shared<HandleState>(std::move(callback));
}

bool FixtureLoop::remove(int fd, std::shared_ptr<HandleState> Watch::*which) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || !(it->second.*which)) return false;
  // Cancelled, so that a readiness already queued does not run it.
  (it->second.*which)->cancel();
  (it->second.*which).reset();
  if (!it->second.reader && !it->second.writer) watches_.erase(it);
  return true;
}

bool FixtureLoop::remove_reader(int fd) { return remove(fd, &Watch::reader); }
bool FixtureLoop::remove_writer(int fd) { return remove(fd, &Watch::writer); }

void FixtureLoop::run_forever() {
  check_open();
  if (running_) throw RuntimeError("already running");
  running_ = true;
  struct Reset {
    FixtureLoop& loop;
    ~Reset() {
      loop.running_ = false;
      loop.stopping_ = false;
    }
  } reset{*this};
  while (!stopping_) run_once();
}

void FixtureLoop::run_once() {
  int timeout = -1;
  if (!ready_.empty()) {
    timeout = 0;
  } else if (!timers_.empty()) {
    double next = std::min_element(timers_.begin(), timers_.end(),
                                   [](auto& a, auto& b) { return a->when() < b->when(); })
                      ->get()
                      ->when();
    timeout = std::max(0, static_cast<int>(std::ceil((next - time()) * 1000)));
  }
  std::vector<pollfd> fds{{wakeup_fd_, POLLIN, 0}};
  for (auto& [fd, watch] : watches_) {
    short events = (watch.reader ? POLLIN : 0) | (watch.writer ? POLLOUT : 0);
    fds.push_back({fd, events, 0});
  }
  int n = ::poll(fds.data(), fds.size(), timeout);
  if (n < 0 && errno != EINTR) throw_errno("poll");
  for (std::size_t i = 1; n > 0 && i < fds.size(); ++i) {
    auto it = watches_.find(fds[i].fd);
    if (it == watches_.end()) continue;
    short got = fds[i].revents;
    if ((got & (POLLIN | POLLERR | POLLHUP)) && it->second.reader) ready_.push_back(it->second.reader);
    if ((got & (POLLOUT | POLLERR | POLLHUP)) && it->second.writer) ready_.push_back(it->second.writer);
  }
  if (fds[0].revents) {
    std::uint64_t count;
    [[maybe_unused]] auto r = ::read(wakeup_fd_, &count, sizeof count);
  }
  {
    std::lock_guard lock(threadsafe_mutex_);
    for (auto& h : threadsafe_) ready_.push_back(h);
    threadsafe_.clear();
  }
  double now = time();
  std::vector<std::shared_ptr<TimerHandleState>> due;
  std::erase_if(timers_, [&](auto& timer) {
    if (timer->cancelled()) return true;
    if (timer->when() > now) return false;
    due.push_back(timer);
    return true;
  });
  std::sort(due.begin(), due.end(), [](auto& a, auto& b) { return a->when() < b->when(); });
  for (auto& timer : due) ready_.push_back(timer);

  std::size_t count = ready_.size();
  for (std::size_t i = 0; i < count; ++i) {
    auto handle = std::move(ready_.front());
    ready_.pop_front();
    try {
      handle->run();
    } catch (const std::exception&) {
      ExceptionContext context;
      context.message = "Exception in callback";
      context.exception = std::current_exception();
      call_exception_handler(context);
    }
  }
}

namespace net = reference::net;

Future<std::vector<AddrInfo>> FixtureLoop::getaddrinfo(std::string host, std::string port,
                                                       GetAddrInfoOptions options) {
  return net::getaddrinfo(*this, std::move(host), std::move(port), options);
}
Future<StreamConnection> FixtureLoop::create_connection(ProtocolFactory f, std::string host,
                                                        std::uint16_t port, ConnectionOptions options) {
  return net::create_connection(*this, std::move(f), std::move(host), port, std::move(options));
}
Future<std::shared_ptr<Server>> FixtureLoop::create_server(ProtocolFactory f, std::string host,
                                                           std::uint16_t port, ServerOptions options) {
  return net::create_server(*this, std::move(f), std::move(host), port, std::move(options));
}
Future<DatagramConnection> FixtureLoop::create_datagram_endpoint(DatagramProtocolFactory f,
                                                                 DatagramOptions options) {
  return net::create_datagram_endpoint(*this, std::move(f), std::move(options));
}
Future<StreamConnection> FixtureLoop::create_unix_connection(ProtocolFactory f, std::string path,
                                                             ConnectionOptions options) {
  return net::create_unix_connection(*this, std::move(f), std::move(path), std::move(options));
}
Future<std::shared_ptr<Server>> FixtureLoop::create_unix_server(ProtocolFactory f, std::string path,
                                                                ServerOptions options) {
  return net::create_unix_server(*this, std::move(f), std::move(path), std::move(options));
}
Future<Bytes> FixtureLoop::sock_recv(int fd, std::size_t n) { return net::sock_recv(*this, fd, n); }
Future<void> FixtureLoop::sock_sendall(int fd, Bytes data) {
  return net::sock_sendall(*this, fd, std::move(data));
}
Future<void> FixtureLoop::sock_connect(int fd, SocketAddress a) {
  return net::sock_connect(*this, fd, std::move(a));
}
Future<AcceptedSocket> FixtureLoop::sock_accept(int fd) { return net::sock_accept(*this, fd); }
Future<ReadPipeConnection> FixtureLoop::connect_read_pipe(ProtocolFactory f, Socket pipe) {
  return net::connect_read_pipe(*this, std::move(f), std::move(pipe));
}
Future<WritePipeConnection> FixtureLoop::connect_write_pipe(BaseProtocolFactory f, Socket pipe) {
  return net::connect_write_pipe(*this, std::move(f), std::move(pipe));
}

}  // namespace pep3156::testing
