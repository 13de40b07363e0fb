// The bridge's Python side (bridge_module.cpp): the loop factories and the
// exception classes that carry a C++ exception through Python frames.
#pragma once

#include "interpreter.hpp"

namespace loopcert_python {

/// Compiles the bridge module; once, from ensure_interpreter(), GIL held.
void load_bridge_module();

/// An attribute of the bridge module (a new reference). GIL held.
PyRef bridge_attribute(const char* name);

/// Starts the interpreter, then makes and closes a loop of `library`, so
/// that what the library opens once per process is open before the kit
/// counts descriptors (Adapter::prepare_process).
void prepare_library(const char* library);

}  // namespace loopcert_python
