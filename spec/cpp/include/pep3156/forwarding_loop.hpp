// ForwardingEventLoop: a loop that passes every call to another loop.
//
// The base for wrappers: a loop that adds logging or tracing, an adapter that
// decorates an existing loop, or (in conformance/selftest) a "mutant" that
// breaks exactly one clause of a correct loop by overriding one method.
//
// It forwards the primitives and the loop-specific methods; the methods the
// PEP defines in terms of others (run_until_complete, create_future,
// create_task, call_repeatedly, getaddrinfo, ...) keep AbstractEventLoop's
// defaults, so they run through this wrapper's own primitives and see any
// override a subclass makes. Futures and Tasks created through the wrapper
// belong to the wrapper.
#pragma once

#include <memory>

#include "pep3156/event_loop.hpp"

namespace pep3156 {

class ForwardingEventLoop : public AbstractEventLoop {
 public:
  explicit ForwardingEventLoop(std::shared_ptr<AbstractEventLoop> inner) : inner_(std::move(inner)) {}
  ~ForwardingEventLoop() override { release_tasks(); }

  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_signal_handler;
  using AbstractEventLoop::add_writer;
  using AbstractEventLoop::call_at;
  using AbstractEventLoop::call_later;
  using AbstractEventLoop::call_soon;
  using AbstractEventLoop::call_soon_threadsafe;
  using AbstractEventLoop::run_in_executor;
  using AbstractEventLoop::run_until_complete;

  void run_forever() override { inner_->run_forever(); }
  void stop() override { inner_->stop(); }
  bool is_running() const override { return inner_->is_running(); }
  void close() override {
    inner_->close();
    shutdown_default_executor();  // the wrapper's own, used by run_in_executor()
  }
  bool is_closed() const override { return inner_->is_closed(); }

  Handle call_soon(Callback callback) override { return inner_->call_soon(std::move(callback)); }
  TimerHandle call_later(double delay, Callback callback) override {
    return inner_->call_later(delay, std::move(callback));
  }
  TimerHandle call_at(double when, Callback callback) override {
    return inner_->call_at(when, std::move(callback));
  }
  double time() override { return inner_->time(); }
  Handle call_soon_threadsafe(Callback callback) override {
    return inner_->call_soon_threadsafe(std::move(callback));
  }

  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options) override {
    return inner_->create_connection(std::move(factory), std::move(host), port, std::move(options));
  }
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options) override {
    return inner_->create_server(std::move(factory), std::move(host), port, std::move(options));
  }
  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options) override {
    return inner_->create_datagram_endpoint(std::move(factory), std::move(options));
  }
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options) override {
    return inner_->create_unix_connection(std::move(factory), std::move(path), std::move(options));
  }
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options) override {
    return inner_->create_unix_server(std::move(factory), std::move(path), std::move(options));
  }

  Future<Bytes> sock_recv(int fd, std::size_t n) override { return inner_->sock_recv(fd, n); }
  Future<void> sock_sendall(int fd, Bytes data) override { return inner_->sock_sendall(fd, std::move(data)); }
  Future<void> sock_connect(int fd, SocketAddress address) override {
    return inner_->sock_connect(fd, std::move(address));
  }
  Future<AcceptedSocket> sock_accept(int fd) override { return inner_->sock_accept(fd); }

  void add_reader(int fd, Callback callback) override { inner_->add_reader(fd, std::move(callback)); }
  bool remove_reader(int fd) override { return inner_->remove_reader(fd); }
  void add_writer(int fd, Callback callback) override { inner_->add_writer(fd, std::move(callback)); }
  bool remove_writer(int fd) override { return inner_->remove_writer(fd); }

  Future<ReadPipeConnection> connect_read_pipe(ProtocolFactory factory, Socket pipe) override {
    return inner_->connect_read_pipe(std::move(factory), std::move(pipe));
  }
  Future<WritePipeConnection> connect_write_pipe(BaseProtocolFactory factory, Socket pipe) override {
    return inner_->connect_write_pipe(std::move(factory), std::move(pipe));
  }
  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options) override {
    return inner_->subprocess_shell(std::move(factory), std::move(command), std::move(options));
  }
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options) override {
    return inner_->subprocess_exec(std::move(factory), std::move(args), std::move(options));
  }

  void add_signal_handler(int sig, Callback callback) override {
    inner_->add_signal_handler(sig, std::move(callback));
  }
  bool remove_signal_handler(int sig) override { return inner_->remove_signal_handler(sig); }

  ExceptionHandler get_exception_handler() const override { return inner_->get_exception_handler(); }
  void set_exception_handler(ExceptionHandler handler) override {
    inner_->set_exception_handler(std::move(handler));
  }
  void default_exception_handler(const ExceptionContext& context) override {
    inner_->default_exception_handler(context);
  }
  void call_exception_handler(const ExceptionContext& context) override {
    inner_->call_exception_handler(context);
  }
  bool get_debug() const override { return inner_->get_debug(); }
  void set_debug(bool enabled) override { inner_->set_debug(enabled); }

  AbstractEventLoop& inner() const noexcept { return *inner_; }

 private:
  std::shared_ptr<AbstractEventLoop> inner_;
};

}  // namespace pep3156
