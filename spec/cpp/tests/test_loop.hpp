// TestLoop: the smallest loop that runs the vocabulary's tests.
//
// Not a reference loop: no I/O at all. Its clock is virtual: when nothing is
// ready, time jumps to the next timer, so tests of sleep(), wait_for() and
// timeouts are exact and never sleep. call_soon_threadsafe() is real: an
// idle loop with no timers blocks on a condition variable until another
// thread posts, which is what run_in_executor() needs.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "pep3156/pep3156.hpp"

namespace pep3156::testing {

class TestLoop final : public AbstractEventLoop {
 public:
  using AbstractEventLoop::call_at;
  using AbstractEventLoop::call_later;
  using AbstractEventLoop::call_soon;
  using AbstractEventLoop::call_soon_threadsafe;
  using AbstractEventLoop::run_until_complete;

  static std::shared_ptr<TestLoop> create() { return std::make_shared<TestLoop>(); }
  ~TestLoop() override;

  void run_forever() override;
  void stop() override { stopping_ = true; }
  bool is_running() const override { return running_; }
  void close() override;
  bool is_closed() const override { return closed_; }

  Handle call_soon(Callback callback) override;
  TimerHandle call_at(double when, Callback callback) override;
  double time() override { return now_; }
  Handle call_soon_threadsafe(Callback callback) override;

  Future<StreamConnection> create_connection(ProtocolFactory, std::string, std::uint16_t,
                                             ConnectionOptions) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory, std::string, std::uint16_t,
                                                ServerOptions) override;
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) override;
  Future<Bytes> sock_recv(int, std::size_t) override;
  Future<void> sock_sendall(int, Bytes) override;
  Future<void> sock_connect(int, SocketAddress) override;
  Future<AcceptedSocket> sock_accept(int) override;

  /// Runs callbacks until none is ready and no timer is due, without moving
  /// the clock: what a test calls to let scheduled callbacks (done-callbacks,
  /// Task steps) run.
  void run_ready();
  /// How many callbacks are scheduled to run now (not timers).
  std::size_t ready_count() const { return ready_.size(); }
  /// Moves the clock forward, as a slow callback would.
  void advance(double seconds) { now_ += seconds; }

  /// Exceptions from callbacks that reached the exception handler, in order.
  std::vector<ExceptionContext> errors;

 private:
  /// Runs `body` with is_running() true; stop() ends it early.
  template <class Body>
  void running(Body body);
  void run_once();
  void check_open() const;

  std::deque<std::shared_ptr<HandleState>> ready_;
  std::vector<std::shared_ptr<TimerHandleState>> timers_;
  std::mutex threadsafe_mutex_;
  std::condition_variable threadsafe_posted_;
  std::deque<std::shared_ptr<HandleState>> threadsafe_;  // guarded by threadsafe_mutex_
  double now_ = 1000.0;
  bool running_ = false;
  bool stopping_ = false;
  bool closed_ = false;  // written under threadsafe_mutex_: other threads read it
};

}  // namespace pep3156::testing
