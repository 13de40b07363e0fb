// PythonEventLoop's pipes: the Python loop's own connect_read_pipe() and
// connect_write_pipe(), whose pipe transports drive the C++ protocols
// through a ProtocolProxy each (protocol_proxy.hpp).
#include "bridge_module.hpp"
#include "protocol_proxy.hpp"
#include "python_event_loop.hpp"
#include "python_transport.hpp"

namespace loopcert_python {

namespace {

using ReadPipeEnds = ConnectionEnds<pep3156::Protocol, PythonReadPipeTransport>;
using WritePipeEnds = ConnectionEnds<pep3156::BaseProtocol, PythonWritePipeTransport>;

/// A write pipe's protocol has no events beyond BaseProtocol's.
PyRef no_own_events(WritePipeEnds&, std::string_view, PyObject*) { return PyRef(); }

/// The bridge's PipeEnd owning the caller's pipe end: the transport
/// closes it (D-PIPE-3). GIL held.
PyRef python_pipe(pep3156::Socket pipe) {
  PyRef pipe_end = check(bridge_attribute("PipeEnd").release());
  PyRef file = check(PyObject_CallFunction(pipe_end.get(), "i", pipe.fd()));
  pipe.release();
  return file;
}

}  // namespace

pep3156::Future<pep3156::ReadPipeConnection> PythonEventLoop::connect_read_pipe(
    pep3156::ProtocolFactory factory, pep3156::Socket pipe) {
  Gil gil;
  auto made = std::make_shared<std::shared_ptr<ReadPipeEnds>>();
  PyRef protocol_factory = python_protocol_factory<pep3156::Protocol, PythonReadPipeTransport>(
      loop_.get(), "ProtocolProxy", std::move(factory), dispatch_stream_event<PythonReadPipeTransport>, made);
  PyRef file = python_pipe(std::move(pipe));
  PyRef coroutine = call_method("connect_read_pipe", "OO", protocol_factory.get(), file.get());
  return pep3156::Future<pep3156::ReadPipeConnection>(
      adopt(std::move(coroutine), connection_result<pep3156::ReadPipeConnection>(made)));
}

pep3156::Future<pep3156::WritePipeConnection> PythonEventLoop::connect_write_pipe(
    pep3156::BaseProtocolFactory factory, pep3156::Socket pipe) {
  Gil gil;
  auto made = std::make_shared<std::shared_ptr<WritePipeEnds>>();
  PyRef protocol_factory = python_protocol_factory<pep3156::BaseProtocol, PythonWritePipeTransport>(
      loop_.get(), "ProtocolProxy", std::move(factory), no_own_events, made);
  PyRef file = python_pipe(std::move(pipe));
  PyRef coroutine = call_method("connect_write_pipe", "OO", protocol_factory.get(), file.get());
  return pep3156::Future<pep3156::WritePipeConnection>(
      adopt(std::move(coroutine), connection_result<pep3156::WritePipeConnection>(made)));
}

}  // namespace loopcert_python
