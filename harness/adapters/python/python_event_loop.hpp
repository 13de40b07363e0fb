// PythonEventLoop: the contract's AbstractEventLoop forwarding every method
// it implements to a Python event loop object (asyncio's SelectorEventLoop
// over a chosen selector, uvloop.Loop, gbulb's GLibEventLoop).
//
// The Python loop owns the ready queue, the timers, the I/O watchers and the
// signal handlers; this class only turns each C++ callback into a Python
// callable (cpp_function.hpp) and each Python handle into a contract Handle
// whose cancel() is the Python handle's. Exceptions a callback throws reach
// the Python loop's call_exception_handler(), whose handler this class sets
// to the contract's call_exception_handler(): the user's handler, or the
// default, sees every error the Python loop reports.
#pragma once

#include <memory>
#include <string>

#include "exceptions.hpp"
#include "interpreter.hpp"
#include "pep3156/event_loop.hpp"
#include "python_future.hpp"

namespace loopcert_python {

using pep3156::Callback;
using pep3156::Handle;
using pep3156::TimerHandle;

class PythonEventLoop final : public pep3156::AbstractEventLoop {
 public:
  using AbstractEventLoop::add_reader;
  using AbstractEventLoop::add_signal_handler;
  using AbstractEventLoop::add_writer;
  using AbstractEventLoop::call_at;
  using AbstractEventLoop::call_soon;
  using AbstractEventLoop::call_soon_threadsafe;

  /// A fresh Python loop of `library` (bridge_module.cpp's make_loop()).
  explicit PythonEventLoop(const std::string& library);
  ~PythonEventLoop() override;

  // --- Lifecycle ---------------------------------------------------------------

  void run_forever() override;
  void stop() override;
  bool is_running() const override;
  void close() override;
  bool is_closed() const override;

  // --- Callbacks and timers ------------------------------------------------------

  Handle call_soon(Callback callback) override;
  TimerHandle call_at(double when, Callback callback) override;
  double time() override;
  Handle call_soon_threadsafe(Callback callback) override;

  // --- I/O callbacks and signals --------------------------------------------------

  void add_reader(int fd, Callback callback) override;
  bool remove_reader(int fd) override;
  void add_writer(int fd, Callback callback) override;
  bool remove_writer(int fd) override;
  void add_signal_handler(int sig, Callback callback) override;
  bool remove_signal_handler(int sig) override;

  // --- Futures: the Python loop's own -------------------------------------------------

  pep3156::FuturePtr create_future() override;

  // --- Socket methods and name lookups (python_sockets.cpp) --------------------------

  pep3156::Future<pep3156::Bytes> sock_recv(int fd, std::size_t n) override;
  pep3156::Future<void> sock_sendall(int fd, pep3156::Bytes data) override;
  pep3156::Future<void> sock_connect(int fd, pep3156::SocketAddress address) override;
  pep3156::Future<pep3156::AcceptedSocket> sock_accept(int fd) override;
  pep3156::Future<std::vector<pep3156::AddrInfo>> getaddrinfo(std::string host, std::string port,
                                                              pep3156::GetAddrInfoOptions options) override;
  pep3156::Future<pep3156::NameInfo> getnameinfo(pep3156::SocketAddress address, int flags) override;

  // --- Stream connections and servers (python_streams.cpp) -----------------------------

  pep3156::Future<pep3156::StreamConnection> create_connection(pep3156::ProtocolFactory factory,
                                                               std::string host, std::uint16_t port,
                                                               pep3156::ConnectionOptions options) override;
  pep3156::Future<std::shared_ptr<pep3156::Server>> create_server(pep3156::ProtocolFactory factory,
                                                                  std::string host, std::uint16_t port,
                                                                  pep3156::ServerOptions options) override;

  // --- Datagram endpoints (python_datagrams.cpp) ------------------------------------------

  pep3156::Future<pep3156::DatagramConnection> create_datagram_endpoint(
      pep3156::DatagramProtocolFactory factory, pep3156::DatagramOptions options) override;

  // --- Pipes and subprocesses (python_pipes.cpp, python_subprocesses.cpp) -------------------

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

  // --- Debug mode --------------------------------------------------------------------

  /// Also the Python loop's debug mode (slow callbacks, thread checks).
  void set_debug(bool enabled) override;

 private:
  /// loop.<method>(*args) with the GIL held by the caller; C++ exceptions
  /// for Python ones.
  template <class... A>
  PyRef call_method(const char* method, const char* format, A... args) const {
    return check(PyObject_CallMethod(loop_.get(), method, format, args...));
  }
  /// loop.<method>(*arguments, **keywords) with the GIL held by the caller.
  PyRef call_method_with(const char* method, const PyRef& arguments, const PyRef& keywords) const {
    PyRef bound = check(PyObject_GetAttrString(loop_.get(), method));
    return check(PyObject_Call(bound.get(), arguments.get(), keywords.get()));
  }
  /// Schedules `state` with loop.<method>(*leading, callback).
  Handle schedule(const char* method, std::shared_ptr<pep3156::HandleState> state);
  /// A PythonFuture on the Task running `coroutine` on the Python loop. GIL held.
  pep3156::FuturePtr adopt(PyRef coroutine, ResultConverter convert = nullptr) {
    return run_as_future(*this, loop_.get(), std::move(coroutine), std::move(convert));
  }
  /// The bridge's sock_method(loop, method, fd[, argument]) coroutine. GIL held.
  PyRef sock_method(const char* method, int fd, PyObject* argument);
  /// loop.<method>(key, callback) for a callback run each time (a reader,
  /// a writer, a signal handler), and its removal.
  void watch(const char* method, int key, Callback callback);
  bool unwatch(const char* method, int key);
  /// subprocess_exec() or subprocess_shell() (`method`) of `command`: the
  /// program and its arguments, or the one shell command line.
  pep3156::Future<pep3156::SubprocessConnection> start_subprocess(const char* method,
                                                                  pep3156::SubprocessProtocolFactory factory,
                                                                  const std::vector<std::string>& command,
                                                                  const pep3156::SubprocessOptions& options);
  /// Cuts the C++ edges of the loop's protocol proxies (protocol_proxy.hpp). GIL held.
  void detach_proxies();
  void install_exception_handler();
  void forward_exception_context(PyObject* context);

  PyRef loop_;
};

}  // namespace loopcert_python
