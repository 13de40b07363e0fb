// Exceptions across the bridge, both ways.
//
// Python to C++: the contract's types (errors.hpp) for the Python ones the
// PEP names: CancelledError, InvalidStateError, TimeoutError, an OSError as
// std::system_error with its errno (socket.gaierror in gai_category()),
// ssl.SSLError, RuntimeError, NotImplementedError, ValueError, TypeError,
// KeyboardInterrupt and SystemExit; anything else as pep3156::Error.
//
// C++ to Python: a carrier (bridge_module.cpp) holding the std::exception_ptr,
// so that a C++ exception that crosses Python frames comes back as itself.
// A CancelledError's carrier is an asyncio.CancelledError, and a
// pep3156::BaseException's a SystemExit, which asyncio lets leave
// run_forever() as the contract wants.
#pragma once

#include <exception>

#include "interpreter.hpp"

namespace loopcert_python {

/// The Python exception object as a C++ exception. GIL held.
std::exception_ptr to_cpp_exception(PyObject* exception);

/// The C++ exception as a Python exception object. GIL held.
PyRef to_python_exception(std::exception_ptr error);

/// Throws the pending Python exception (cleared) as its C++ counterpart.
[[noreturn]] void throw_python_error();

/// `result` owned, or throw_python_error() if it is null (a failed C API call).
PyRef check(PyObject* result);

/// Sets the pending Python exception to `error`'s carrier; returns null, as
/// a C function reporting failure to Python does.
PyObject* raise_in_python(std::exception_ptr error) noexcept;

}  // namespace loopcert_python
