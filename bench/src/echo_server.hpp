// The TCP echo servers of the connection probes (echo, ping_pong_tcp,
// idle_memory): the loop under test's, through create_server() and a
// protocol that writes back what it receives (PEP 3156's transports, not
// add_reader()), and the raw baseline's, accept4() and read()/write() on a
// bare epoll set. Both listen on 127.0.0.1 at a port the kernel picks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "pep3156/event_loop.hpp"
#include "raw.hpp"

namespace loopbench {

class LoopEchoServer {
 public:
  /// Runs `loop` until create_server() is done.
  explicit LoopEchoServer(pep3156::AbstractEventLoop& loop);
  /// Closes the server and runs the loop until every connection is gone
  /// (Server.wait_closed()): close the clients first, and stop any thread
  /// running the loop.
  ~LoopEchoServer();
  LoopEchoServer(const LoopEchoServer&) = delete;
  LoopEchoServer& operator=(const LoopEchoServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// Runs the loop on this thread until `count` connections have been
  /// accepted in all.
  void run_until_accepted(long count);

 private:
  pep3156::AbstractEventLoop& loop_;
  std::shared_ptr<pep3156::Server> server_;
  std::uint16_t port_ = 0;
  long accepted_ = 0;
  long stop_at_ = -1;  // the accepted_ at which the loop stops; -1: never
};

class RawEchoServer {
 public:
  RawEchoServer();
  RawEchoServer(const RawEchoServer&) = delete;
  RawEchoServer& operator=(const RawEchoServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// Accepts and echoes on this thread until `count` connections have
  /// been accepted in all.
  void run_until_accepted(long count);
  /// Accepts and echoes on this thread until stop() (from any thread).
  void run_until_stopped();
  void stop();

 private:
  /// One epoll_wait() and what it reports; false once stop() was called.
  bool poll_once();

  Fd listener_;
  Fd epoll_;
  Fd stop_;  // an eventfd in the epoll set
  std::uint16_t port_;
  std::vector<Fd> connections_;
};

/// A RawEchoServer serving on a thread of its own until this goes away.
class RawEchoThread {
 public:
  explicit RawEchoThread(RawEchoServer& server);
  /// Stops the server and joins the thread.
  ~RawEchoThread();
  RawEchoThread(const RawEchoThread&) = delete;
  RawEchoThread& operator=(const RawEchoThread&) = delete;

 private:
  RawEchoServer& server_;
  std::thread thread_;
};

}  // namespace loopbench
