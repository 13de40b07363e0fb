// Plain values across the bridge: bytes, text, integers. GIL held; a
// Python error becomes its C++ exception (exceptions.hpp).
#pragma once

#include <string>

#include "interpreter.hpp"
#include "pep3156/bytes.hpp"

namespace loopcert_python {

/// A view of a bytes object's buffer, valid as long as the object lives
/// (bytes are immutable: it may be read without the GIL).
pep3156::BytesView bytes_view(PyObject* bytes);
PyRef to_python_bytes(pep3156::BytesView data);
/// "" for None.
std::string to_string(PyObject* text);
int to_int(PyObject* number);
PyRef python_int(long value);
/// Adds name=value to a keyword-arguments dict.
void set_keyword(PyObject* keywords, const char* name, PyRef value);
/// None for the empty string (a host or port the PEP takes as None).
PyRef optional_text(const std::string& text);

}  // namespace loopcert_python
