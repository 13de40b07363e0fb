// FixtureLoop: a small poll() loop that runs the net tests until the
// reference SelectorEventLoop lands. It forwards every networking method
// to pep3156::reference::net, as SelectorEventLoop will.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "pep3156/pep3156.hpp"

namespace pep3156::testing {

class FixtureLoop final : public AbstractEventLoop {
 public:
  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_writer;
  using AbstractEventLoop::call_at;
  using AbstractEventLoop::call_later;
  using AbstractEventLoop::call_soon;
  using AbstractEventLoop::call_soon_threadsafe;
  using AbstractEventLoop::run_until_complete;

  FixtureLoop();
  ~FixtureLoop() override;

  void run_forever() override;
  void stop() override { stopping_ = true; }
  bool is_running() const override { return running_; }
  void close() override;
  bool is_closed() const override { return closed_; }
  Handle call_soon(Callback callback) override;
  TimerHandle call_at(double when, Callback callback) override;
  double time() override;
  Handle call_soon_threadsafe(Callback callback) override;
  void add_reader(int fd, Callback callback) override;
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;

  Future<std::vector<AddrInfo>> getaddrinfo(std::string host, std::string port,
                                            GetAddrInfoOptions options = {}) override;
  Future<StreamConnection> create_connection(ProtocolFactory, std::string, std::uint16_t,
                                             ConnectionOptions) override;
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory, std::string, std::uint16_t,
                                                ServerOptions) override;
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory, DatagramOptions) override;
  Future<StreamConnection> create_unix_connection(ProtocolFactory, std::string, ConnectionOptions) override;
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory, std::string, ServerOptions) override;
  Future<Bytes> sock_recv(int, std::size_t) override;
  Future<void> sock_sendall(int, Bytes) override;
  Future<void> sock_connect(int, SocketAddress) override;
  Future<AcceptedSocket> sock_accept(int) override;
  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory, Socket) override;
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory, Socket) override;

 private:
  struct Watch {
    std::shared_ptr<HandleState> reader;
    std::shared_ptr<HandleState> writer;
  };
  void run_once();
  void check_open() const;
  bool remove(int fd, std::shared_ptr<HandleState> Watch::*which);

  std::deque<std::shared_ptr<HandleState>> ready_;
  std::vector<std::shared_ptr<TimerHandleState>> timers_;
  std::map<int, Watch> watches_;
  std::mutex threadsafe_mutex_;
  std::deque<std::shared_ptr<HandleState>> threadsafe_;
  int wakeup_fd_;
  bool running_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

}  // namespace pep3156::testing
