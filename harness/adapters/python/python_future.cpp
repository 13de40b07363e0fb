// PythonFuture (python_future.hpp).
#include "python_future.hpp"

#include <memory>
#include <utility>

#include "cpp_function.hpp"
#include "exceptions.hpp"

namespace loopcert_python {

PythonFuture::PythonFuture(pep3156::AbstractEventLoop& loop, PyRef python_future, ResultConverter convert)
    : loop_(loop), future_(std::move(python_future)), convert_(std::move(convert)) {}

PythonFuture::~PythonFuture() {
  Gil gil;
  callbacks_.clear();
  future_ = PyRef();  // an exception never retrieved is reported now, as asyncio does
}

template <class... A>
PyRef PythonFuture::call(const char* method, const char* format, A... args) const {
  return check(PyObject_CallMethod(future_.get(), method, format, args...));
}

bool PythonFuture::ask(const char* method) const {
  Gil gil;
  return call(method, nullptr).get() == Py_True;
}

bool PythonFuture::cancel() { return ask("cancel"); }

bool PythonFuture::cancelled() const { return ask("cancelled"); }

bool PythonFuture::done() const { return ask("done"); }

pep3156::Value& PythonFuture::result_value() {
  Gil gil;
  PyRef result = call("result", nullptr);  // raises what the PEP says for each state
  if (!result_) result_.emplace(convert_ ? convert_(result.get()) : pep3156::Value());
  return *result_;
}

std::exception_ptr PythonFuture::exception() {
  Gil gil;
  PyRef exception = call("exception", nullptr);
  return exception.get() == Py_None ? nullptr : to_cpp_exception(exception.get());
}

pep3156::CallbackId PythonFuture::add_done_callback(pep3156::DoneCallback fn) {
  Gil gil;
  std::weak_ptr<FutureBase> weak_self = weak_from_this();
  PyRef callback = make_function([weak_self, fn = std::move(fn)](PyObject*) mutable -> PyRef {
    if (pep3156::FuturePtr self = weak_self.lock()) {
      GilReleased released;  // C++ code runs without the GIL (cpp_function.hpp)
      fn(self);
    }
    return PyRef();
  });
  call("add_done_callback", "O", callback.get());
  pep3156::CallbackId id = next_id_++;
  callbacks_.emplace(id, std::move(callback));
  return id;
}

std::size_t PythonFuture::remove_done_callback(pep3156::CallbackId id) {
  Gil gil;
  auto found = callbacks_.find(id);
  if (found == callbacks_.end()) return 0;
  PyRef removed = call("remove_done_callback", "O", found->second.get());
  callbacks_.erase(found);
  return PyLong_AsSsize_t(removed.get()) > 0 ? 1 : 0;
}

void PythonFuture::set_result_value(pep3156::Value result) {
  Gil gil;
  call("set_result", "O", Py_None);  // InvalidStateError unless pending
  result_.emplace(std::move(result));
}

void PythonFuture::set_exception(std::exception_ptr exception) {
  Gil gil;
  PyRef python_exception = to_python_exception(std::move(exception));
  if (!python_exception) throw_python_error();
  call("set_exception", "O", python_exception.get());
}

pep3156::FuturePtr run_as_future(pep3156::AbstractEventLoop& loop, PyObject* python_loop, PyRef coroutine,
                                 ResultConverter convert) {
  PyRef task = check(PyObject_CallMethod(python_loop, "create_task", "O", coroutine.get()));
  return std::make_shared<PythonFuture>(loop, std::move(task), std::move(convert));
}

}  // namespace loopcert_python
