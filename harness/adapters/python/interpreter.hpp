// The embedded CPython interpreter: started once per process, never
// finalized, and entered with the GIL from any thread.
//
// Facts this follows (issue #15, measured on Debian 12's CPython 3.11):
//   - the installation is /usr/bin/python3's, named explicitly
//     (program_name), since another python3 may come first on PATH and
//     uvloop and gbulb are Debian's packages;
//   - install_signal_handlers = 0: the process's signal dispositions stay
//     the kit's until a loop's add_signal_handler() asks for one;
//   - never Py_Finalize(): loops, executor threads and the kit's own
//     objects may still hold Python references at exit, and the case
//     process leaves with _exit() anyway;
//   - every entry from C++ takes the GIL (Gil), and nothing waits while
//     holding it (the loop's own select()/epoll_wait() releases it).
#pragma once

#include <Python.h>

#include <utility>

namespace loopcert_python {

/// Starts the interpreter if this process has not yet, then leaves the GIL
/// free. Thread-safe; cheap after the first call.
void ensure_interpreter();

/// The GIL for the current scope (re-entrant: PyGILState_Ensure).
class Gil {
 public:
  Gil() noexcept : state_(PyGILState_Ensure()) {}
  ~Gil() { PyGILState_Release(state_); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  PyGILState_STATE state_;
};

/// The GIL released for the current scope, for a C++ wait inside a call
/// from Python (a thread joining one that calls call_soon_threadsafe()).
class GilReleased {
 public:
  GilReleased() noexcept : saved_(PyEval_SaveThread()) {}
  ~GilReleased() { PyEval_RestoreThread(saved_); }
  GilReleased(const GilReleased&) = delete;
  GilReleased& operator=(const GilReleased&) = delete;

 private:
  PyThreadState* saved_;
};

/// An owned reference to a Python object. Every copy, move and release
/// must happen with the GIL held.
class PyRef {
 public:
  PyRef() noexcept = default;
  /// Takes ownership of a new reference (may be null).
  static PyRef steal(PyObject* object) noexcept { return PyRef(object); }
  /// Adds a reference to a borrowed one.
  static PyRef borrow(PyObject* object) noexcept {
    Py_XINCREF(object);
    return PyRef(object);
  }
  PyRef(const PyRef& other) noexcept : object_(other.object_) { Py_XINCREF(object_); }
  PyRef(PyRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  PyRef& operator=(PyRef other) noexcept {
    std::swap(object_, other.object_);
    return *this;
  }
  ~PyRef() { Py_XDECREF(object_); }

  PyObject* get() const noexcept { return object_; }
  /// Gives the reference away (to a function that steals it).
  PyObject* release() noexcept { return std::exchange(object_, nullptr); }
  explicit operator bool() const noexcept { return object_ != nullptr; }

 private:
  explicit PyRef(PyObject* object) noexcept : object_(object) {}
  PyObject* object_ = nullptr;
};

}  // namespace loopcert_python
