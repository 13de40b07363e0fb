// Exceptions across the bridge (exceptions.hpp).
#include "exceptions.hpp"

#include <string>
#include <system_error>

#include "bridge_module.hpp"
#include "pep3156/errors.hpp"

namespace loopcert_python {

namespace {

constexpr const char* kCarrierCapsule = "loopcert.exception";

/// str(exception), or its type's name if even that fails.
std::string describe(PyObject* exception) {
  PyRef text = PyRef::steal(PyObject_Str(exception));
  if (text) {
    if (const char* utf8 = PyUnicode_AsUTF8(text.get())) return utf8;
  }
  PyErr_Clear();
  return Py_TYPE(exception)->tp_name;
}

bool is_instance(PyObject* exception, PyObject* type) { return PyObject_IsInstance(exception, type) == 1; }

bool is_instance(PyObject* exception, const char* bridge_class) {
  PyRef type = bridge_attribute(bridge_class);
  return type && is_instance(exception, type.get());
}

/// The C++ exception a carrier holds, or null if `exception` is none.
std::exception_ptr carried(PyObject* exception) {
  PyRef capsule = PyRef::steal(PyObject_GetAttrString(exception, "cpp"));
  if (!capsule || !PyCapsule_IsValid(capsule.get(), kCarrierCapsule)) {
    PyErr_Clear();
    return nullptr;
  }
  return *static_cast<std::exception_ptr*>(PyCapsule_GetPointer(capsule.get(), kCarrierCapsule));
}

/// The errno of an OSError (socket.gaierror: its EAI_ code), or 0.
int os_error_number(PyObject* exception) {
  PyRef number = PyRef::steal(PyObject_GetAttrString(exception, "errno"));
  int value = number && PyLong_Check(number.get()) ? static_cast<int>(PyLong_AsLong(number.get())) : 0;
  PyErr_Clear();
  return value;
}

template <class E>
std::exception_ptr make(std::string message) {
  return std::make_exception_ptr(E(std::move(message)));
}

std::exception_ptr mapped(PyObject* exception) {
  std::string message = describe(exception);
  // Subclasses first: TimeoutError and ssl.SSLError are OSErrors,
  // NotImplementedError a RuntimeError.
  if (is_instance(exception, "CancelledError")) return make<pep3156::CancelledError>(message);
  if (is_instance(exception, "InvalidStateError")) return make<pep3156::InvalidStateError>(message);
  if (is_instance(exception, PyExc_TimeoutError)) return make<pep3156::TimeoutError>(message);
  if (is_instance(exception, "SSLError")) return make<pep3156::SSLError>(message);
  if (is_instance(exception, "gaierror")) {
    return std::make_exception_ptr(
        std::system_error(os_error_number(exception), pep3156::gai_category(), message));
  }
  if (is_instance(exception, PyExc_OSError)) {
    return std::make_exception_ptr(
        std::system_error(os_error_number(exception), std::generic_category(), message));
  }
  if (is_instance(exception, PyExc_NotImplementedError)) return make<pep3156::NotImplementedError>(message);
  if (is_instance(exception, PyExc_RuntimeError)) return make<pep3156::RuntimeError>(message);
  if (is_instance(exception, PyExc_ValueError)) return make<pep3156::ValueError>(message);
  if (is_instance(exception, PyExc_TypeError)) return make<pep3156::TypeError>(message);
  if (is_instance(exception, PyExc_KeyboardInterrupt))
    return std::make_exception_ptr(pep3156::KeyboardInterrupt());
  if (is_instance(exception, PyExc_SystemExit)) {
    PyRef code = PyRef::steal(PyObject_GetAttrString(exception, "code"));
    int status = code && PyLong_Check(code.get()) ? static_cast<int>(PyLong_AsLong(code.get())) : 0;
    PyErr_Clear();
    return std::make_exception_ptr(pep3156::SystemExit(status));
  }
  return make<pep3156::Error>(std::string(Py_TYPE(exception)->tp_name) + ": " + message);
}

const char* carrier_class(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const pep3156::CancelledError&) {
    return "CppCancelledError";
  } catch (const pep3156::BaseException&) {
    return "CppBaseException";
  } catch (...) {
    return "CppException";
  }
}

std::string what(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (const pep3156::BaseException& e) {
    return e.what();
  } catch (...) {
    return "unknown C++ exception";
  }
}

void delete_carried(PyObject* capsule) {
  delete static_cast<std::exception_ptr*>(PyCapsule_GetPointer(capsule, kCarrierCapsule));
}

}  // namespace

std::exception_ptr to_cpp_exception(PyObject* exception) {
  if (std::exception_ptr cpp = carried(exception)) return cpp;
  return mapped(exception);
}

PyRef to_python_exception(std::exception_ptr error) {
  PyRef type = bridge_attribute(carrier_class(error));
  PyRef exception = PyRef::steal(PyObject_CallFunction(type.get(), "s", what(error).c_str()));
  if (!exception) return exception;
  PyRef capsule =
      PyRef::steal(PyCapsule_New(new std::exception_ptr(std::move(error)), kCarrierCapsule, delete_carried));
  if (!capsule || PyObject_SetAttrString(exception.get(), "cpp", capsule.get()) != 0) return PyRef();
  return exception;
}

void throw_python_error() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  if (type == nullptr) throw pep3156::Error("a Python call failed without an exception");
  PyErr_NormalizeException(&type, &value, &traceback);
  PyRef owned_type = PyRef::steal(type);
  PyRef owned_value = PyRef::steal(value);
  PyRef owned_traceback = PyRef::steal(traceback);
  std::rethrow_exception(to_cpp_exception(owned_value.get()));
}

PyRef check(PyObject* result) {
  if (result == nullptr) throw_python_error();
  return PyRef::steal(result);
}

PyObject* raise_in_python(std::exception_ptr error) noexcept {
  try {
    PyRef exception = to_python_exception(std::move(error));
    if (exception) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.get())), exception.get());
  } catch (...) {
    PyErr_NoMemory();  // only an allocation can fail here
  }
  return nullptr;
}

}  // namespace loopcert_python
