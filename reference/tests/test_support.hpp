// What the reference tests share: the loop over every poller, owned socket
// pairs, and open-fd counting.
#pragma once

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pep3156/exception_context.hpp"
#include "reference/core_selector_event_loop.hpp"
#include "reference/poller.hpp"

namespace pep3156::reference::testing {

/// Runs `body(poller_name)` once per poller this build offers, each time
/// in a doctest SUBCASE named after the poller: every test body runs on
/// select, poll and epoll (kqueue on BSD/macOS).
template <class Body>
void for_each_poller(Body&& body) {
  for (const std::string& name : available_pollers()) {
    SUBCASE(name.c_str()) { body(name); }
  }
}

/// A fresh loop on the named poller.
inline std::shared_ptr<CoreSelectorEventLoop> new_loop(const std::string& poller) {
  return std::make_shared<CoreSelectorEventLoop>(make_poller(poller));
}

/// Installs an exception handler on `loop` that records every context it
/// receives, and returns the record (shared, so it outlives the loop).
inline std::shared_ptr<std::vector<ExceptionContext>> record_errors(AbstractEventLoop& loop) {
  auto record = std::make_shared<std::vector<ExceptionContext>>();
  loop.set_exception_handler(
      [record](AbstractEventLoop&, const ExceptionContext& context) { record->push_back(context); });
  return record;
}

/// A Poller that forwards to a real one and counts its waits; another
/// thread can block until the loop starts a wait without timeout.
class CountingPoller final : public Poller {
 public:
  explicit CountingPoller(std::unique_ptr<Poller> inner) : inner_(std::move(inner)) {}

  void add(int fd, Events events) override { inner_->add(fd, events); }
  void modify(int fd, Events events) override { inner_->modify(fd, events); }
  void remove(int fd) noexcept override { inner_->remove(fd); }
  std::string_view name() const noexcept override { return inner_->name(); }
  std::span<const FiredEvent> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    ++waits;
    if (!timeout) {
      std::lock_guard lock(mutex_);
      blocking_ = true;
      started_blocking_.notify_all();
    }
    return inner_->wait(timeout);
  }

  /// Returns once the loop has entered (or is entering) a wait without
  /// timeout: it is blocked until something wakes it.
  void wait_until_blocking() {
    std::unique_lock lock(mutex_);
    started_blocking_.wait(lock, [this] { return blocking_; });
  }

  std::atomic<int> waits{0};

 private:
  std::unique_ptr<Poller> inner_;
  std::mutex mutex_;
  std::condition_variable started_blocking_;
  bool blocking_ = false;
};

/// A connected AF_UNIX stream pair, closed on destruction unless closed
/// before.
struct SocketPair {
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    close_a();
    close_b();
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;

  void close_a() {
    if (a >= 0) ::close(a);
    a = -1;
  }
  void close_b() {
    if (b >= 0) ::close(b);
    b = -1;
  }
  /// Makes `a` readable (and keeps it so until read).
  void send_to_a(const char* data = "x") {
    REQUIRE(::write(b, data, std::char_traits<char>::length(data)) > 0);
  }

  int a;
  int b;
};

/// How many file descriptors this process has open.
inline std::size_t open_fd_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/dev/fd")) ++count;
  return count - 1;  // the directory iterator's own fd
}

}  // namespace pep3156::reference::testing
