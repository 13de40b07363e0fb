// Plain values across the bridge (conversions.hpp).
#include "conversions.hpp"

#include "exceptions.hpp"

namespace loopcert_python {

pep3156::BytesView bytes_view(PyObject* bytes) {
  char* buffer = nullptr;
  Py_ssize_t size = 0;
  if (PyBytes_AsStringAndSize(bytes, &buffer, &size) != 0) throw_python_error();
  return {reinterpret_cast<const std::byte*>(buffer), static_cast<std::size_t>(size)};
}

PyRef to_python_bytes(pep3156::BytesView data) {
  return check(PyBytes_FromStringAndSize(reinterpret_cast<const char*>(data.data()),
                                         static_cast<Py_ssize_t>(data.size())));
}

std::string to_string(PyObject* text) {
  if (text == Py_None) return {};
  const char* utf8 = PyUnicode_AsUTF8(text);
  if (utf8 == nullptr) throw_python_error();
  return utf8;
}

int to_int(PyObject* number) {
  long value = PyLong_AsLong(number);
  if (value == -1 && PyErr_Occurred()) throw_python_error();
  return static_cast<int>(value);
}

PyRef python_int(long value) { return check(PyLong_FromLong(value)); }

void set_keyword(PyObject* keywords, const char* name, PyRef value) {
  if (PyDict_SetItemString(keywords, name, value.get()) != 0) throw_python_error();
}

PyRef optional_text(const std::string& text) {
  return text.empty() ? PyRef::borrow(Py_None) : check(PyUnicode_FromString(text.c_str()));
}

}  // namespace loopcert_python
