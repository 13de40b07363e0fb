// AsioEventLoop: PEP 3156's event loop on standalone Asio's own primitives.
// BaseEventLoop (reference/include/reference/base_event_loop.hpp) keeps the
// ready queue, the lifecycle and the one place callbacks run; this class
// supplies steps 2 and 3 of an iteration on an asio::io_context:
//
//   waiting for I/O      io_context::run_one() / run_one_for() / poll()
//   timers               one asio::steady_timer per call_at()
//   other threads        asio::post() onto the io_context
//   readers, writers     posix::stream_descriptor::async_wait(), one per fd
//   signals              asio::signal_set
//   pipes, children      posix::stream_descriptor (a child's pidfd too)
//
// Every Asio completion handler only moves a Handle into the ready queue
// (schedule(), schedule_expired_timer()); user code runs from the ready
// queue, never inside io_context::run_one().
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "loop_resource.hpp"
#include "reference/base_event_loop.hpp"

namespace loopcert_asio {

using pep3156::Callback;
using pep3156::HandleState;

class AsioTimer;

class AsioEventLoop : public pep3156::reference::BaseEventLoop {
 public:
  AsioEventLoop();
  ~AsioEventLoop() override;

  using BaseEventLoop::call_at;

  /// A steady_timer of its own, due at `when` rounded up to the nanosecond.
  pep3156::TimerHandle call_at(double when, Callback callback) override;

  void add_reader(int fd, Callback callback) override;
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;

  void add_signal_handler(int sig, Callback callback) override;
  bool remove_signal_handler(int sig) override;

  // Streams on Asio's sockets and acceptors (connections.cpp, servers.cpp).
  pep3156::Future<pep3156::StreamConnection> create_connection(pep3156::ProtocolFactory factory,
                                                               std::string host, std::uint16_t port,
                                                               pep3156::ConnectionOptions options) override;
  pep3156::Future<std::shared_ptr<pep3156::Server>> create_server(pep3156::ProtocolFactory factory,
                                                                  std::string host, std::uint16_t port,
                                                                  pep3156::ServerOptions options) override;
  pep3156::Future<pep3156::StreamConnection> create_unix_connection(
      pep3156::ProtocolFactory factory, std::string path, pep3156::ConnectionOptions options) override;
  pep3156::Future<std::shared_ptr<pep3156::Server>> create_unix_server(
      pep3156::ProtocolFactory factory, std::string path, pep3156::ServerOptions options) override;

  // On Asio's datagram sockets (datagram_endpoints.cpp).
  pep3156::Future<pep3156::DatagramConnection> create_datagram_endpoint(
      pep3156::DatagramProtocolFactory factory, pep3156::DatagramOptions options) override;
  // On the caller's socket (sock_methods.cpp).
  pep3156::Future<pep3156::Bytes> sock_recv(int fd, std::size_t n) override;
  pep3156::Future<void> sock_sendall(int fd, pep3156::Bytes data) override;
  pep3156::Future<void> sock_connect(int fd, pep3156::SocketAddress address) override;
  pep3156::Future<pep3156::AcceptedSocket> sock_accept(int fd) override;

  // On Asio's posix::stream_descriptor (pipes.cpp); children started by
  // pep3156_net_support, their exit watched by Asio (subprocesses.cpp).
  pep3156::Future<pep3156::ReadPipeConnection> connect_read_pipe(pep3156::ProtocolFactory factory,
                                                                 pep3156::Socket pipe) override;
  pep3156::Future<pep3156::WritePipeConnection> connect_write_pipe(pep3156::BaseProtocolFactory factory,
                                                                   pep3156::Socket pipe) override;
  pep3156::Future<pep3156::SubprocessConnection> subprocess_shell(
      pep3156::SubprocessProtocolFactory factory, std::string command,
      pep3156::SubprocessOptions options) override;
  pep3156::Future<pep3156::SubprocessConnection> subprocess_exec(pep3156::SubprocessProtocolFactory factory,
                                                                 std::vector<std::string> args,
                                                                 pep3156::SubprocessOptions options) override;

  asio::io_context& context() noexcept { return *context_; }
  /// A pipe transport's async_write() started or ended (poll_for_io()).
  void pipe_write_started() noexcept { ++pipe_writes_in_flight_; }
  void pipe_write_ended() noexcept { --pipe_writes_in_flight_; }
  /// Makes `resource` release its Asio objects when the loop closes.
  void track(std::weak_ptr<LoopResource> resource);

 protected:
  void poll_for_io(std::optional<std::chrono::nanoseconds> timeout) override;
  void wake_up() noexcept override;
  void close_io() noexcept override;

 private:
  friend class AsioTimer;
  struct FdWatch;
  enum class Direction { read, write };

  void watch(int fd, Direction direction, Callback callback);
  bool unwatch(int fd, Direction direction);
  void arm(const std::shared_ptr<FdWatch>& watch, Direction direction);
  void on_ready(const std::shared_ptr<FdWatch>& watch, Direction direction);
  void release(FdWatch& watch) noexcept;
  void wait_for_signal();

  // Declared first, destroyed last: every Asio object below uses it.
  std::unique_ptr<asio::io_context> context_;
  // Keeps run_one() blocking when nothing is pending (an idle loop waits
  // for call_soon_threadsafe()), and the context from ever stopping for
  // lack of work, so it never needs restart().
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unordered_set<AsioTimer*> armed_timers_;  // each kept alive by its pending wait
  std::map<int, std::shared_ptr<FdWatch>> watches_;
  std::vector<std::weak_ptr<LoopResource>> resources_;  // transports and servers
  std::optional<asio::signal_set> signals_;             // created by the first add_signal_handler()
  std::map<int, std::shared_ptr<HandleState>> signal_handlers_;
  bool waiting_for_signal_ = false;
  int pipe_writes_in_flight_ = 0;
};

}  // namespace loopcert_asio
