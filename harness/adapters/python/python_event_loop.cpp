// PythonEventLoop (python_event_loop.hpp): lifecycle, callbacks, timers,
// I/O callbacks and signals, each forwarded to the Python loop.
#include "python_event_loop.hpp"

#include <utility>

#include "bridge_module.hpp"
#include "cpp_function.hpp"
#include "exceptions.hpp"

namespace loopcert_python {

namespace {

/// A contract HandleState whose cancel() is also the Python handle's, so
/// that the Python loop drops a cancelled timer at once (asyncio counts
/// them, uvloop stops its uv_timer_t). The Python handle is held weakly:
/// it holds the callable that holds this state, and a strong edge back
/// would be a cycle Python's gc cannot see.
template <class Base>
class PythonHandle final : public Base {
 public:
  using Base::Base;
  ~PythonHandle() override {
    Gil gil;
    python_handle_ = PyRef();
  }

  /// Called once the Python loop returned its handle. GIL held.
  void follow(PyObject* python_handle) {
    python_handle_ = PyRef::steal(PyWeakref_NewRef(python_handle, nullptr));
    // A handle type without weak references (none of the three loops')
    // leaves cancel() to the contract's own state: the callback is then
    // dropped at once and never runs, only the Python timer stays armed.
    if (!python_handle_) PyErr_Clear();
  }

 private:
  void on_cancel() noexcept override {
    if (!python_handle_) return;
    Gil gil;
    PyObject* handle = PyWeakref_GetObject(python_handle_.get());
    if (handle != nullptr && handle != Py_None) {
      PyRef ignored = PyRef::steal(PyObject_CallMethod(handle, "cancel", nullptr));
    }
    PyErr_Clear();  // cancel() of a handle has nothing to report
  }

  PyRef python_handle_;
};

/// Borrowed item of a context dict, or null if absent or None.
PyObject* context_item(PyObject* context, const char* key) {
  PyObject* item = PyDict_GetItemString(context, key);
  return item == Py_None ? nullptr : item;
}

std::string as_text(PyObject* object) {
  PyRef text = PyRef::steal(PyObject_Str(object));
  const char* utf8 = text ? PyUnicode_AsUTF8(text.get()) : nullptr;
  if (utf8 == nullptr) {
    PyErr_Clear();
    return {};
  }
  return utf8;
}

}  // namespace

PythonEventLoop::PythonEventLoop(const std::string& library) {
  ensure_interpreter();
  Gil gil;
  PyRef make_loop = check(bridge_attribute("make_loop").release());
  loop_ = check(PyObject_CallFunction(make_loop.get(), "s", library.c_str()));
  install_exception_handler();
  check(PyObject_CallMethod(loop_.get(), "set_debug", "O", get_debug() ? Py_True : Py_False));
}

PythonEventLoop::~PythonEventLoop() {
  release_tasks();
  Gil gil;
  // The handler refers to this object, which the Python loop may outlive.
  PyRef reset = PyRef::steal(PyObject_CallMethod(loop_.get(), "set_exception_handler", "O", Py_None));
  PyErr_Clear();
  try {
    detach_proxies();  // a loop released unclosed
  } catch (const std::exception&) {
    PyErr_Clear();  // a destructor has nobody to tell
  }
  loop_ = PyRef();
  // Released means collected: a Python loop sits in reference cycles, and
  // what it holds until collected is not freed by close() in every library
  // (gbulb's GLib.MainContext and its eventfd: glib_events.py:254, which
  // close() keeps, lines 265-275).
  PyGC_Collect();
}

// --- Lifecycle ---------------------------------------------------------------------

void PythonEventLoop::run_forever() {
  Gil gil;
  call_method("run_forever", nullptr);
}

void PythonEventLoop::stop() {
  Gil gil;
  call_method("stop", nullptr);
}

bool PythonEventLoop::is_running() const {
  Gil gil;
  return call_method("is_running", nullptr).get() == Py_True;
}

void PythonEventLoop::detach_proxies() {
  PyRef detach = check(bridge_attribute("detach_proxies").release());
  check(PyObject_CallFunction(detach.get(), "O", loop_.get()));
}

void PythonEventLoop::close() {
  {
    Gil gil;
    call_method("close", nullptr);
    detach_proxies();
  }
  // Without the GIL: the executor's threads may be calling
  // call_soon_threadsafe() (which raises now that the loop is closed).
  shutdown_default_executor();
}

bool PythonEventLoop::is_closed() const {
  Gil gil;
  return call_method("is_closed", nullptr).get() == Py_True;
}

// --- Callbacks and timers ------------------------------------------------------------

Handle PythonEventLoop::schedule(const char* method, std::shared_ptr<pep3156::HandleState> state) {
  Gil gil;
  PyRef callback = make_callback(state);
  PyRef python_handle = call_method(method, "O", callback.get());
  static_cast<PythonHandle<pep3156::HandleState>&>(*state).follow(python_handle.get());
  return Handle(std::move(state));
}

Handle PythonEventLoop::call_soon(Callback callback) {
  return schedule("call_soon", std::make_shared<PythonHandle<pep3156::HandleState>>(std::move(callback)));
}

Handle PythonEventLoop::call_soon_threadsafe(Callback callback) {
  return schedule("call_soon_threadsafe",
                  std::make_shared<PythonHandle<pep3156::HandleState>>(std::move(callback)));
}

TimerHandle PythonEventLoop::call_at(double when, Callback callback) {
  auto state = std::make_shared<PythonHandle<pep3156::TimerHandleState>>(when, std::move(callback));
  Gil gil;
  PyRef python_callback = make_callback(state);
  PyRef python_handle = call_method("call_at", "dO", when, python_callback.get());
  state->follow(python_handle.get());
  return TimerHandle(std::move(state));
}

double PythonEventLoop::time() {
  Gil gil;
  double now = PyFloat_AsDouble(call_method("time", nullptr).get());
  if (PyErr_Occurred()) throw_python_error();
  return now;
}

// --- I/O callbacks and signals ----------------------------------------------------------

void PythonEventLoop::watch(const char* method, int key, Callback callback) {
  Gil gil;
  PyRef python_callback = make_callback(std::make_shared<pep3156::HandleState>(std::move(callback)));
  call_method(method, "iO", key, python_callback.get());
}

bool PythonEventLoop::unwatch(const char* method, int key) {
  Gil gil;
  return PyObject_IsTrue(call_method(method, "i", key).get()) == 1;
}

void PythonEventLoop::add_reader(int fd, Callback callback) { watch("add_reader", fd, std::move(callback)); }

bool PythonEventLoop::remove_reader(int fd) { return unwatch("remove_reader", fd); }

void PythonEventLoop::add_writer(int fd, Callback callback) { watch("add_writer", fd, std::move(callback)); }

bool PythonEventLoop::remove_writer(int fd) { return unwatch("remove_writer", fd); }

void PythonEventLoop::add_signal_handler(int sig, Callback callback) {
  watch("add_signal_handler", sig, std::move(callback));
}

bool PythonEventLoop::remove_signal_handler(int sig) { return unwatch("remove_signal_handler", sig); }

// --- Futures ------------------------------------------------------------------------------

pep3156::FuturePtr PythonEventLoop::create_future() {
  Gil gil;
  return std::make_shared<PythonFuture>(*this, call_method("create_future", nullptr));
}

// --- Errors and debug mode ------------------------------------------------------------------

void PythonEventLoop::install_exception_handler() {
  PyRef handler = make_function([this](PyObject* args) {
    // handler(loop, context), as the PEP's set_exception_handler() calls it.
    PyObject* context = PyTuple_Size(args) == 2 ? PyTuple_GetItem(args, 1) : nullptr;
    if (context != nullptr && PyDict_Check(context)) forward_exception_context(context);
    return PyRef();
  });
  call_method("set_exception_handler", "O", handler.get());
}

void PythonEventLoop::forward_exception_context(PyObject* context) {
  pep3156::ExceptionContext cpp;
  PyObject* key = nullptr;
  PyObject* value = nullptr;
  for (Py_ssize_t position = 0; PyDict_Next(context, &position, &key, &value);) {
    std::string name = as_text(key);
    if (name == "message") {
      cpp.message = as_text(value);
    } else if (name == "exception") {
      if (value != Py_None) cpp.exception = to_cpp_exception(value);
    } else if (name == "handle") {
      PyRef callback = PyRef::steal(PyObject_GetAttrString(value, "_callback"));
      PyErr_Clear();
      cpp.handle = Handle(handle_of(callback.get()));
    } else {
      cpp.extra[name] = as_text(value);
    }
  }
  if (PyObject* handle = context_item(context, "handle"); handle != nullptr && !cpp.handle) {
    cpp.extra["handle"] = as_text(handle);
  }
  // The user's handler may wait for another thread that needs the GIL.
  GilReleased released;
  call_exception_handler(cpp);
}

void PythonEventLoop::set_debug(bool enabled) {
  AbstractEventLoop::set_debug(enabled);
  Gil gil;
  call_method("set_debug", "O", enabled ? Py_True : Py_False);
}

}  // namespace loopcert_python
