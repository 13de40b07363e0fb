// PythonEventLoop's datagram endpoints: the Python loop's own
// create_datagram_endpoint(), whose transport drives the C++ datagram
// protocol through a DatagramProtocolProxy (protocol_proxy.hpp).
#include "addresses.hpp"
#include "conversions.hpp"
#include "protocol_proxy.hpp"
#include "python_event_loop.hpp"
#include "python_transport.hpp"

namespace loopcert_python {

namespace {

using DatagramEnds = ConnectionEnds<pep3156::DatagramProtocol, PythonDatagramTransport>;

/// A datagram protocol's own events: a datagram, an error.
PyRef dispatch_datagram_event(DatagramEnds& ends, std::string_view event, PyObject* argument) {
  if (event == "datagram") {  // (data, addr)
    pep3156::BytesView data = bytes_view(PyTuple_GetItem(argument, 0));
    pep3156::SocketAddress sender = from_python_address(PyTuple_GetItem(argument, 1));
    GilReleased released;
    ends.protocol->datagram_received(data, sender);
  } else if (event == "error") {
    std::exception_ptr error = to_cpp_exception(argument);
    GilReleased released;
    ends.protocol->error_received(std::move(error));
  }
  return PyRef();
}

PyRef host_port(const std::optional<pep3156::HostPort>& address) {
  if (!address) return PyRef::borrow(Py_None);
  return check(Py_BuildValue("(NH)", optional_text(address->host).release(), address->port));
}

}  // namespace

pep3156::Future<pep3156::DatagramConnection> PythonEventLoop::create_datagram_endpoint(
    pep3156::DatagramProtocolFactory factory, pep3156::DatagramOptions options) {
  Gil gil;
  auto made = std::make_shared<std::shared_ptr<DatagramEnds>>();
  PyRef protocol_factory = python_protocol_factory<pep3156::DatagramProtocol, PythonDatagramTransport>(
      loop_.get(), "DatagramProtocolProxy", std::move(factory), dispatch_datagram_event, made);
  PyRef keywords = check(PyDict_New());
  set_keyword(keywords.get(), "local_addr", host_port(options.local_addr));
  set_keyword(keywords.get(), "remote_addr", host_port(options.remote_addr));
  set_keyword(keywords.get(), "family", python_int(options.family));
  set_keyword(keywords.get(), "proto", python_int(options.proto));
  set_keyword(keywords.get(), "flags", python_int(options.flags));
  PyRef arguments = check(Py_BuildValue("(N)", protocol_factory.release()));
  PyRef coroutine = call_method_with("create_datagram_endpoint", arguments, keywords);
  return pep3156::Future<pep3156::DatagramConnection>(
      adopt(std::move(coroutine), connection_result<pep3156::DatagramConnection>(made)));
}

}  // namespace loopcert_python
