// CppFunction (cpp_function.hpp): one small Python type, made once per
// process with PyType_FromSpec.
#include "cpp_function.hpp"

#include <exception>
#include <utility>

#include "exceptions.hpp"

namespace loopcert_python {

namespace {

struct Body {
  PythonCall call;                               // set for make_function()
  std::shared_ptr<pep3156::HandleState> handle;  // set for make_callback()
};

struct CppFunctionObject {
  PyObject_HEAD Body* body;
};

PyObject* call_function(PyObject* self, PyObject* args, PyObject* /*kwargs*/) {
  Body& body = *reinterpret_cast<CppFunctionObject*>(self)->body;
  try {
    if (body.handle) {
      // Kept alive while it runs: the callback may cancel its own handle.
      std::shared_ptr<pep3156::HandleState> running = body.handle;
      std::exception_ptr failure;
      {
        // C++ callbacks run without the GIL: one that waits for a thread
        // calling call_soon_threadsafe() must not hold it (issue #15).
        GilReleased released;
        try {
          running->run();
        } catch (...) {
          failure = std::current_exception();
        }
      }
      if (failure) return raise_in_python(std::move(failure));
      Py_RETURN_NONE;
    }
    PyRef result = body.call(args);
    if (!result) Py_RETURN_NONE;
    return result.release();
  } catch (...) {
    return raise_in_python(std::current_exception());
  }
}

void deallocate(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  // What the C++ side captured may hold Python references: released here,
  // with the GIL (dealloc runs with it).
  delete reinterpret_cast<CppFunctionObject*>(self)->body;
  PyObject_Free(self);
  Py_DECREF(type);
}

PyTypeObject* cpp_function_type() {
  static PyType_Slot slots[] = {
      {Py_tp_call, reinterpret_cast<void*>(call_function)},
      {Py_tp_dealloc, reinterpret_cast<void*>(deallocate)},
      {0, nullptr},
  };
  static PyType_Spec spec = {"loopcert_bridge.CppFunction", sizeof(CppFunctionObject), 0, Py_TPFLAGS_DEFAULT,
                             slots};
  static PyTypeObject* type = reinterpret_cast<PyTypeObject*>(check(PyType_FromSpec(&spec)).release());
  return type;
}

PyRef make(Body body) {
  PyTypeObject* type = cpp_function_type();
  auto* object = PyObject_New(CppFunctionObject, type);
  if (object == nullptr) throw_python_error();
  object->body = new Body(std::move(body));
  return PyRef::steal(reinterpret_cast<PyObject*>(object));
}

}  // namespace

PyRef make_function(PythonCall call) { return make(Body{std::move(call), nullptr}); }

PyRef make_callback(std::shared_ptr<pep3156::HandleState> handle) {
  return make(Body{nullptr, std::move(handle)});
}

std::shared_ptr<pep3156::HandleState> handle_of(PyObject* callable) {
  if (callable == nullptr || Py_TYPE(callable) != cpp_function_type()) return nullptr;
  return reinterpret_cast<CppFunctionObject*>(callable)->body->handle;
}

}  // namespace loopcert_python
