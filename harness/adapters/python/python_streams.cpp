// PythonEventLoop's stream connections and servers: the Python loop's own
// create_connection() and create_server(), whose Python transports drive
// the C++ protocols through a ProtocolProxy each (bridge_module.cpp).
// (protocol_proxy.hpp says how the cycle through C++ is cut).
#include <optional>
#include <string_view>

#include "addresses.hpp"
#include "bridge_module.hpp"
#include "conversions.hpp"
#include "cpp_function.hpp"
#include "exceptions.hpp"
#include "pep3156/errors.hpp"
#include "protocol_proxy.hpp"
#include "python_event_loop.hpp"
#include "python_ssl.hpp"
#include "python_transport.hpp"

namespace loopcert_python {

namespace {

using StreamEnds = ConnectionEnds<pep3156::Protocol, PythonTransport>;

PyRef stream_protocol_factory(PyObject* python_loop, pep3156::ProtocolFactory factory,
                              std::shared_ptr<std::shared_ptr<StreamEnds>> made = nullptr) {
  return python_protocol_factory<pep3156::Protocol, PythonTransport>(
      python_loop, "ProtocolProxy", std::move(factory), dispatch_stream_event<PythonTransport>,
      std::move(made));
}

/// ssl= and ssl_handshake_timeout= as the Python loop takes them (it
/// raises the PEP's ValueError for a timeout without ssl itself).
void set_tls_keywords(PyObject* keywords, const pep3156::SslOption& ssl,
                      const std::optional<double>& handshake_timeout) {
  if (pep3156::ssl_requested(ssl)) set_keyword(keywords, "ssl", python_ssl_argument(ssl));
  if (handshake_timeout) {
    set_keyword(keywords, "ssl_handshake_timeout", check(PyFloat_FromDouble(*handshake_timeout)));
  }
}

/// A Python socket object owning the caller's socket (sock=: the
/// transport or server takes it over, as the contract's Socket says).
PyRef python_socket(pep3156::Socket socket) {
  PyRef caller_socket = check(bridge_attribute("caller_socket").release());
  PyRef sock = check(PyObject_CallFunction(caller_socket.get(), "i", socket.fd()));
  socket.release();
  return sock;
}

/// A Python Server, forwarded.
class PythonServer final : public pep3156::Server {
 public:
  PythonServer(std::weak_ptr<pep3156::AbstractEventLoop> loop, PyObject* python_loop, PyRef server)
      : loop_(std::move(loop)), python_loop_(PyRef::borrow(python_loop)), server_(std::move(server)) {}
  ~PythonServer() override {
    Gil gil;
    server_ = PyRef();
    python_loop_ = PyRef();
  }

  void close() override {
    Gil gil;
    check(PyObject_CallMethod(server_.get(), "close", nullptr));
  }

  pep3156::Future<void> wait_closed() override {
    std::shared_ptr<pep3156::AbstractEventLoop> loop = loop_.lock();
    if (!loop) throw pep3156::RuntimeError("wait_closed(): the server's event loop is gone");
    Gil gil;
    PyRef coroutine = check(PyObject_CallMethod(server_.get(), "wait_closed", nullptr));
    return pep3156::Future<void>(run_as_future(*loop, python_loop_.get(), std::move(coroutine)));
  }

  std::vector<pep3156::ListeningSocket> sockets() const override {
    Gil gil;
    PyRef listening_sockets = check(bridge_attribute("listening_sockets").release());
    PyRef rows = check(PyObject_CallFunction(listening_sockets.get(), "O", server_.get()));
    std::vector<pep3156::ListeningSocket> sockets;
    for (Py_ssize_t i = 0; i < PyList_Size(rows.get()); ++i) {
      PyObject* row = PyList_GetItem(rows.get(), i);  // (fd, family, address)
      sockets.push_back(pep3156::ListeningSocket{
          to_int(PyTuple_GetItem(row, 0)),
          from_python_address(to_int(PyTuple_GetItem(row, 1)), PyTuple_GetItem(row, 2))});
    }
    return sockets;
  }

 private:
  std::weak_ptr<pep3156::AbstractEventLoop> loop_;
  PyRef python_loop_;
  PyRef server_;
};

}  // namespace

pep3156::Future<pep3156::StreamConnection> PythonEventLoop::create_connection(
    pep3156::ProtocolFactory factory, std::string host, std::uint16_t port,
    pep3156::ConnectionOptions options) {
  Gil gil;
  auto made = std::make_shared<std::shared_ptr<StreamEnds>>();
  PyRef keywords = check(PyDict_New());
  set_keyword(keywords.get(), "family", python_int(options.family));
  set_keyword(keywords.get(), "proto", python_int(options.proto));
  set_keyword(keywords.get(), "flags", python_int(options.flags));
  if (options.sock) set_keyword(keywords.get(), "sock", python_socket(std::move(*options.sock)));
  if (options.local_addr) {
    set_keyword(keywords.get(), "local_addr",
                check(Py_BuildValue("(NH)", optional_text(options.local_addr->host).release(),
                                    options.local_addr->port)));
  }
  set_tls_keywords(keywords.get(), options.ssl, options.ssl_handshake_timeout);
  if (options.server_hostname) {
    set_keyword(keywords.get(), "server_hostname",
                check(PyUnicode_FromString(options.server_hostname->c_str())));
  }
  PyRef port_object = port == 0 && host.empty() ? PyRef::borrow(Py_None) : python_int(port);
  PyRef arguments =
      check(Py_BuildValue("(NNN)", stream_protocol_factory(loop_.get(), std::move(factory), made).release(),
                          optional_text(host).release(), port_object.release()));
  PyRef coroutine = call_method_with("create_connection", arguments, keywords);
  return pep3156::Future<pep3156::StreamConnection>(
      adopt(std::move(coroutine), connection_result<pep3156::StreamConnection>(made)));
}

pep3156::Future<std::shared_ptr<pep3156::Server>> PythonEventLoop::create_server(
    pep3156::ProtocolFactory factory, std::string host, std::uint16_t port, pep3156::ServerOptions options) {
  Gil gil;
  PyRef keywords = check(PyDict_New());
  set_keyword(keywords.get(), "family", python_int(options.family));
  set_keyword(keywords.get(), "flags", python_int(options.flags));
  set_keyword(keywords.get(), "backlog", python_int(options.backlog));
  set_keyword(keywords.get(), "reuse_address", PyRef::borrow(options.reuse_address ? Py_True : Py_False));
  if (options.sock) set_keyword(keywords.get(), "sock", python_socket(std::move(*options.sock)));
  set_tls_keywords(keywords.get(), options.ssl, options.ssl_handshake_timeout);
  PyRef port_object = port == 0 && host.empty() && options.sock ? PyRef::borrow(Py_None) : python_int(port);
  PyRef arguments =
      check(Py_BuildValue("(NNN)", stream_protocol_factory(loop_.get(), std::move(factory)).release(),
                          optional_text(host).release(), port_object.release()));
  PyRef coroutine = call_method_with("create_server", arguments, keywords);
  return pep3156::Future<std::shared_ptr<pep3156::Server>>(
      adopt(std::move(coroutine), [loop = weak_from_this(), python_loop = loop_](PyObject* server) {
        return pep3156::Value(std::shared_ptr<pep3156::Server>(
            std::make_shared<PythonServer>(loop, python_loop.get(), PyRef::borrow(server))));
      }));
}

}  // namespace loopcert_python
