#include "test_loop.hpp"

#include <algorithm>

namespace pep3156::testing {

TestLoop::~TestLoop() { release_tasks(); }

void TestLoop::check_open() const {
  if (closed_) throw RuntimeError("the event loop is closed");
}

void TestLoop::close() {
  if (running_) throw RuntimeError("close(): the event loop is running");
  if (closed_) return;
  {
    std::lock_guard lock(threadsafe_mutex_);
    closed_ = true;
    threadsafe_.clear();
  }
  ready_.clear();
  timers_.clear();
  shutdown_default_executor();
}

Handle TestLoop::call_soon(Callback callback) {
  check_open();
  auto state = std::make_shared<HandleState>(std::move(callback));
  ready_.push_back(state);
  return Handle(state);
}

TimerHandle TestLoop::call_at(double when, Callback callback) {
  check_open();
  auto state = std::make_shared<TimerHandleState>(when, std::move(callback));
  timers_.push_back(state);
  return TimerHandle(state);
}

Handle TestLoop::call_soon_threadsafe(Callback callback) {
  auto state = std::make_shared<HandleState>(std::move(callback));
  {
    std::lock_guard lock(threadsafe_mutex_);
    if (closed_) throw RuntimeError("the event loop is closed");
    threadsafe_.push_back(state);
  }
  threadsafe_posted_.notify_one();
  return Handle(state);
}

template <class Body>
void TestLoop::running(Body body) {
  check_open();
  if (running_) throw RuntimeError("the event loop is already running");
  running_ = true;
  struct Reset {
    TestLoop& loop;
    ~Reset() {
      loop.running_ = false;
      loop.stopping_ = false;
    }
  } reset{*this};
  body();
}

void TestLoop::run_forever() {
  running([this] {
    while (!stopping_) run_once();
  });
}

void TestLoop::run_ready() {
  running([this] {
    auto due = [this] {
      return std::any_of(timers_.begin(), timers_.end(),
                         [this](const auto& t) { return !t->cancelled() && t->when() <= now_; });
    };
    while (!stopping_ && (!ready_.empty() || due())) run_once();
  });
}

void TestLoop::run_once() {
  std::erase_if(timers_, [](const auto& t) { return t->cancelled(); });
  {
    std::unique_lock lock(threadsafe_mutex_);
    if (ready_.empty() && timers_.empty()) {
      threadsafe_posted_.wait(lock, [this] { return !threadsafe_.empty(); });
    }
    for (auto& h : threadsafe_) ready_.push_back(std::move(h));
    threadsafe_.clear();
  }
  if (ready_.empty() && !timers_.empty()) {
    // Virtual time: nothing to do until the next timer, so go there.
    auto next = std::min_element(timers_.begin(), timers_.end(),
                                 [](const auto& a, const auto& b) { return a->when() < b->when(); });
    now_ = std::max(now_, (*next)->when());
  }
  // Due timers join the ready queue in deadline order (stable: same-time
  // timers keep their scheduling order, one of the orders the PEP allows).
  std::stable_sort(timers_.begin(), timers_.end(),
                   [](const auto& a, const auto& b) { return a->when() < b->when(); });
  auto due_end =
      std::find_if(timers_.begin(), timers_.end(), [this](const auto& t) { return t->when() > now_; });
  for (auto it = timers_.begin(); it != due_end; ++it) ready_.push_back(*it);
  timers_.erase(timers_.begin(), due_end);

  for (std::size_t n = ready_.size(); n > 0; --n) {
    auto handle = std::move(ready_.front());
    ready_.pop_front();
    try {
      handle->run();
    } catch (const std::exception&) {
      ExceptionContext context;
      context.message = "Exception in callback";
      context.exception = std::current_exception();
      context.handle = Handle(handle);
      errors.push_back(context);
      call_exception_handler(context);
    }
  }
}

namespace {
[[noreturn]] void no_io() { throw NotImplementedError("TestLoop does no I/O"); }
}  // namespace

Future<StreamConnection> TestLoop::create_connection(ProtocolFactory, std::string, std::uint16_t,
                                                     ConnectionOptions) {
  no_io();
}
Future<std::shared_ptr<Server>> TestLoop::create_server(ProtocolFactory, std::string, std::uint16_t,
                                                        ServerOptions) {
  no_io();
}
Future<DatagramConnection> TestLoop::create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) {
  no_io();
}
Future<Bytes> TestLoop::sock_recv(int, std::size_t) { no_io(); }
Future<void> TestLoop::sock_sendall(int, Bytes) { no_io(); }
Future<void> TestLoop::sock_connect(int, SocketAddress) { no_io(); }
Future<AcceptedSocket> TestLoop::sock_accept(int) { no_io(); }

}  // namespace pep3156::testing
