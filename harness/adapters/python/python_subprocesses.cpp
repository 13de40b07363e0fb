// PythonEventLoop's subprocesses: the Python loop's own subprocess_exec()
// and subprocess_shell() (its Popen, its child watcher: bridge_module.cpp,
// install_child_watcher()), whose transport drives the C++ subprocess
// protocol through a SubprocessProtocolProxy (protocol_proxy.hpp).
#include "bridge_module.hpp"
#include "conversions.hpp"
#include "pep3156/errors.hpp"
#include "protocol_proxy.hpp"
#include "python_event_loop.hpp"
#include "python_transport.hpp"

namespace loopcert_python {

namespace {

using SubprocessEnds = ConnectionEnds<pep3156::SubprocessProtocol, PythonSubprocessTransport>;

/// A subprocess protocol's own events: a pipe's data, a pipe's end, the exit.
PyRef dispatch_subprocess_event(SubprocessEnds& ends, std::string_view event, PyObject* argument) {
  if (event == "pipe_data") {  // (fd, data)
    int fd = to_int(PyTuple_GetItem(argument, 0));
    pep3156::BytesView data = bytes_view(PyTuple_GetItem(argument, 1));
    GilReleased released;
    ends.protocol->pipe_data_received(fd, data);
  } else if (event == "pipe_lost") {  // (fd, exc)
    int fd = to_int(PyTuple_GetItem(argument, 0));
    PyObject* exc = PyTuple_GetItem(argument, 1);
    std::exception_ptr error = exc == Py_None ? nullptr : to_cpp_exception(exc);
    GilReleased released;
    ends.protocol->pipe_connection_lost(fd, std::move(error));
  } else if (event == "exited") {
    GilReleased released;
    ends.protocol->process_exited();
  }
  return PyRef();
}

/// Popen's stdin=/stdout=/stderr= for `stdio` (the bridge's stdio()).
PyRef python_stdio(const pep3156::Stdio& stdio) {
  using Kind = pep3156::Stdio::Kind;
  const char* kind = "pipe";
  switch (stdio.kind) {
    case Kind::pipe:
      kind = "pipe";
      break;
    case Kind::stdout_:
      kind = "stdout";
      break;
    case Kind::devnull:
      kind = "devnull";
      break;
    case Kind::inherit:
      kind = "inherit";
      break;
    case Kind::fd:
      kind = "fd";
      break;
  }
  PyRef to_stdio = check(bridge_attribute("stdio").release());
  return check(PyObject_CallFunction(to_stdio.get(), "si", kind, stdio.fd));
}

/// The keyword arguments Popen takes for `options` (D-PIPE-2's subset).
PyRef popen_keywords(const pep3156::SubprocessOptions& options) {
  PyRef keywords = check(PyDict_New());
  set_keyword(keywords.get(), "stdin", python_stdio(options.stdin_));
  set_keyword(keywords.get(), "stdout", python_stdio(options.stdout_));
  set_keyword(keywords.get(), "stderr", python_stdio(options.stderr_));
  if (options.cwd) set_keyword(keywords.get(), "cwd", check(PyUnicode_FromString(options.cwd->c_str())));
  if (options.env) {
    PyRef env = check(PyDict_New());
    for (const auto& [name, value] : *options.env) {
      PyRef python_value = check(PyUnicode_FromString(value.c_str()));
      if (PyDict_SetItemString(env.get(), name.c_str(), python_value.get()) != 0) throw_python_error();
    }
    set_keyword(keywords.get(), "env", std::move(env));
  }
  set_keyword(keywords.get(), "close_fds", PyRef::borrow(options.close_fds ? Py_True : Py_False));
  PyRef pass_fds = check(PyTuple_New(static_cast<Py_ssize_t>(options.pass_fds.size())));
  for (std::size_t i = 0; i < options.pass_fds.size(); ++i) {
    PyTuple_SET_ITEM(pass_fds.get(), static_cast<Py_ssize_t>(i), python_int(options.pass_fds[i]).release());
  }
  set_keyword(keywords.get(), "pass_fds", std::move(pass_fds));
  set_keyword(keywords.get(), "start_new_session",
              PyRef::borrow(options.start_new_session ? Py_True : Py_False));
  set_keyword(keywords.get(), "restore_signals", PyRef::borrow(options.restore_signals ? Py_True : Py_False));
  if (options.executable) {
    set_keyword(keywords.get(), "executable", check(PyUnicode_FromString(options.executable->c_str())));
  }
  return keywords;
}

}  // namespace

pep3156::Future<pep3156::SubprocessConnection> PythonEventLoop::start_subprocess(
    const char* method, pep3156::SubprocessProtocolFactory factory, const std::vector<std::string>& command,
    const pep3156::SubprocessOptions& options) {
  Gil gil;
  auto made = std::make_shared<std::shared_ptr<SubprocessEnds>>();
  // (protocol_factory, *command)
  PyRef arguments = check(PyTuple_New(static_cast<Py_ssize_t>(command.size() + 1)));
  PyTuple_SET_ITEM(
      arguments.get(), 0,
      (python_protocol_factory<pep3156::SubprocessProtocol, PythonSubprocessTransport>(
           loop_.get(), "SubprocessProtocolProxy", std::move(factory), dispatch_subprocess_event, made))
          .release());
  for (std::size_t i = 0; i < command.size(); ++i) {
    PyTuple_SET_ITEM(arguments.get(), static_cast<Py_ssize_t>(i + 1),
                     check(PyUnicode_FromString(command[i].c_str())).release());
  }
  PyRef coroutine = call_method_with(method, arguments, popen_keywords(options));
  return pep3156::Future<pep3156::SubprocessConnection>(
      adopt(std::move(coroutine), connection_result<pep3156::SubprocessConnection>(made)));
}

pep3156::Future<pep3156::SubprocessConnection> PythonEventLoop::subprocess_shell(
    pep3156::SubprocessProtocolFactory factory, std::string command, pep3156::SubprocessOptions options) {
  return start_subprocess("subprocess_shell", std::move(factory), {std::move(command)}, options);
}

pep3156::Future<pep3156::SubprocessConnection> PythonEventLoop::subprocess_exec(
    pep3156::SubprocessProtocolFactory factory, std::vector<std::string> args,
    pep3156::SubprocessOptions options) {
  // Python's subprocess_exec(protocol_factory, program, *args) needs the program.
  if (args.empty()) throw pep3156::ValueError("subprocess_exec(): args must name a program");
  return start_subprocess("subprocess_exec", std::move(factory), args, options);
}

}  // namespace loopcert_python
