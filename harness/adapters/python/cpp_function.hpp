// CppFunction: a Python callable that runs C++ (the loop's callbacks, the
// exception handler it installs). The one trampoline from Python into
// C++: no C++ exception unwinds through CPython's frames, each is raised
// in Python as its carrier (exceptions.hpp) instead.
#pragma once

#include <memory>

#include "interpreter.hpp"
#include "pep3156/handle.hpp"
#include "pep3156/unique_function.hpp"

namespace loopcert_python {

/// What a CppFunction runs: Python's positional arguments (a tuple,
/// borrowed) in, a result out (null: None). Runs with the GIL held.
using PythonCall = pep3156::UniqueFunction<PyRef(PyObject* args)>;

/// A callable running `call`. GIL held.
PyRef make_function(PythonCall call);

/// A callable running the contract's callback behind `handle` (each time
/// it is called; the loop decides how often). GIL held.
PyRef make_callback(std::shared_ptr<pep3156::HandleState> handle);

/// The HandleState behind a callable make_callback() made, or null for any
/// other object (a loop's exception context names the Python handle).
std::shared_ptr<pep3156::HandleState> handle_of(PyObject* callable);

}  // namespace loopcert_python
