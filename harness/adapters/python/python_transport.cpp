// PythonTransport (python_transport.hpp).
#include "python_transport.hpp"

#include <string>

#include "addresses.hpp"
#include "bridge_module.hpp"
#include "conversions.hpp"
#include "exceptions.hpp"

namespace loopcert_python {

namespace {

/// None for an absent limit, as set_write_buffer_limits() takes it.
PyRef optional_size(std::optional<std::size_t> size) {
  return size ? check(PyLong_FromSize_t(*size)) : PyRef::borrow(Py_None);
}

/// transport.<method>(*args), taking the GIL.
template <class... A>
PyRef call_transport(const PyRef& transport, const char* method, const char* format, A... args) {
  Gil gil;
  return check(PyObject_CallMethod(transport.get(), method, format, args...));
}

/// "peername"/"sockname" (SocketAddress), "socket" or "pipe" (int fd),
/// else empty.
std::any socket_extra_info(const PyRef& transport, std::string_view name) {
  if (name != "peername" && name != "sockname" && name != "socket" && name != "pipe") return {};
  Gil gil;
  PyRef info = check(bridge_attribute("transport_socket_info").release());
  std::string key(name);
  PyRef value = check(PyObject_CallFunction(info.get(), "Os", transport.get(), key.c_str()));
  if (value.get() == Py_None) return {};
  if (name == "socket" || name == "pipe") return to_int(value.get());
  return from_python_address(to_int(PyTuple_GetItem(value.get(), 0)), PyTuple_GetItem(value.get(), 1));
}

}  // namespace

PythonTransport::~PythonTransport() {
  Gil gil;
  transport_ = PyRef();
}

template <class... A>
PyRef PythonTransport::call(const char* method, const char* format, A... args) const {
  return call_transport(transport_, method, format, args...);
}

std::any PythonTransport::get_extra_info(std::string_view name) const {
  return socket_extra_info(transport_, name);
}

void PythonTransport::close() { call("close", nullptr); }

bool PythonTransport::is_closing() const { return call("is_closing", nullptr).get() == Py_True; }

void PythonTransport::pause_reading() { call("pause_reading", nullptr); }

void PythonTransport::resume_reading() { call("resume_reading", nullptr); }

void PythonTransport::write(pep3156::BytesView data) {
  Gil gil;
  PyRef bytes = to_python_bytes(data);
  call("write", "O", bytes.get());
}

void PythonTransport::write_eof() { call("write_eof", nullptr); }

bool PythonTransport::can_write_eof() const { return call("can_write_eof", nullptr).get() == Py_True; }

std::size_t PythonTransport::get_write_buffer_size() const {
  Gil gil;
  return PyLong_AsSize_t(call("get_write_buffer_size", nullptr).get());
}

void PythonTransport::set_write_buffer_limits(std::optional<std::size_t> high,
                                              std::optional<std::size_t> low) {
  Gil gil;
  PyRef high_limit = optional_size(high);
  PyRef low_limit = optional_size(low);
  PyRef method = check(PyObject_GetAttrString(transport_.get(), "set_write_buffer_limits"));
  PyRef arguments = check(PyTuple_New(0));
  PyRef keywords = check(Py_BuildValue("{sOsO}", "high", high_limit.get(), "low", low_limit.get()));
  check(PyObject_Call(method.get(), arguments.get(), keywords.get()));
}

void PythonTransport::abort() { call("abort", nullptr); }

PythonDatagramTransport::~PythonDatagramTransport() {
  Gil gil;
  transport_ = PyRef();
}

std::any PythonDatagramTransport::get_extra_info(std::string_view name) const {
  return socket_extra_info(transport_, name);
}

void PythonDatagramTransport::close() { call_transport(transport_, "close", nullptr); }

bool PythonDatagramTransport::is_closing() const {
  return call_transport(transport_, "is_closing", nullptr).get() == Py_True;
}

void PythonDatagramTransport::sendto(pep3156::BytesView data,
                                     const std::optional<pep3156::SocketAddress>& address) {
  Gil gil;
  PyRef bytes = to_python_bytes(data);
  PyRef python_address = address ? to_python_address(*address) : PyRef::borrow(Py_None);
  call_transport(transport_, "sendto", "OO", bytes.get(), python_address.get());
}

void PythonDatagramTransport::abort() { call_transport(transport_, "abort", nullptr); }

std::size_t PythonDatagramTransport::get_write_buffer_size() const {
  Gil gil;
  return PyLong_AsSize_t(call_transport(transport_, "get_write_buffer_size", nullptr).get());
}

PythonSubprocessTransport::~PythonSubprocessTransport() {
  Gil gil;
  transport_ = PyRef();
}

std::any PythonSubprocessTransport::get_extra_info(std::string_view name) const {
  return socket_extra_info(transport_, name);
}

void PythonSubprocessTransport::close() { call_transport(transport_, "close", nullptr); }

bool PythonSubprocessTransport::is_closing() const {
  return call_transport(transport_, "is_closing", nullptr).get() == Py_True;
}

int PythonSubprocessTransport::get_pid() const {
  Gil gil;
  return to_int(call_transport(transport_, "get_pid", nullptr).get());
}

std::optional<int> PythonSubprocessTransport::get_returncode() const {
  Gil gil;
  PyRef returncode = call_transport(transport_, "get_returncode", nullptr);
  if (returncode.get() == Py_None) return std::nullopt;
  return to_int(returncode.get());
}

std::shared_ptr<pep3156::BaseTransport> PythonSubprocessTransport::get_pipe_transport(int fd) const {
  if (fd < 0 || fd >= static_cast<int>(pipes_.size())) return nullptr;
  std::shared_ptr<pep3156::BaseTransport>& pipe = pipes_[static_cast<std::size_t>(fd)];
  if (pipe) return pipe;
  Gil gil;
  PyRef python_pipe = call_transport(transport_, "get_pipe_transport", "i", fd);
  if (python_pipe.get() == Py_None) return nullptr;
  // The child's stdin is written to, its stdout and stderr are read.
  if (fd == 0) {
    pipe = std::make_shared<PythonWritePipeTransport>(std::move(python_pipe));
  } else {
    pipe = std::make_shared<PythonReadPipeTransport>(std::move(python_pipe));
  }
  return pipe;
}

void PythonSubprocessTransport::send_signal(int signal) {
  call_transport(transport_, "send_signal", "i", signal);
}

void PythonSubprocessTransport::terminate() { call_transport(transport_, "terminate", nullptr); }

void PythonSubprocessTransport::kill() { call_transport(transport_, "kill", nullptr); }

}  // namespace loopcert_python
