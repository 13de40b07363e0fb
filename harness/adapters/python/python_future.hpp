// PythonFuture: the contract's FutureBase over a Python loop's own Future
// or Task (loop.create_future(), loop.create_task()), so that the kit's
// Future cases and the results of sock_*()/getaddrinfo() run on asyncio's
// (uvloop's, gbulb's) real futures.
//
// Results: a C++ result set with set_result_value() stays in C++ (the
// Python future gets None: it only carries the state); a Python Task's
// result is converted once, on first access, by the ResultConverter the
// method that made the Task gave. Exceptions cross as exceptions.hpp says,
// a C++ exception coming back as itself.
//
// Done-callbacks are the Python future's (it schedules them with its
// loop's call_soon()); each holds this object weakly, so a pending future
// and its callbacks form no cycle Python's gc cannot see.
#pragma once

#include <map>
#include <optional>

#include "interpreter.hpp"
#include "pep3156/future.hpp"
#include "pep3156/unique_function.hpp"
#include "pep3156/value.hpp"

namespace loopcert_python {

/// A Python Task's result as the C++ Future's Value. GIL held.
using ResultConverter = pep3156::UniqueFunction<pep3156::Value(PyObject* result)>;

class PythonFuture final : public pep3156::FutureBase {
 public:
  /// `python_future` belongs to `loop`'s Python loop. `convert` is null for
  /// a future whose result is set from C++.
  PythonFuture(pep3156::AbstractEventLoop& loop, PyRef python_future, ResultConverter convert = nullptr);
  ~PythonFuture() override;

  bool cancel() override;
  bool cancelled() const override;
  bool done() const override;
  pep3156::Value& result_value() override;
  std::exception_ptr exception() override;
  pep3156::CallbackId add_done_callback(pep3156::DoneCallback fn) override;
  std::size_t remove_done_callback(pep3156::CallbackId id) override;
  void set_result_value(pep3156::Value result) override;
  void set_exception(std::exception_ptr exception) override;
  pep3156::AbstractEventLoop& get_loop() const override { return loop_; }

 private:
  /// future.<method>(*args), GIL held by the caller.
  template <class... A>
  PyRef call(const char* method, const char* format, A... args) const;
  bool ask(const char* method) const;

  pep3156::AbstractEventLoop& loop_;
  PyRef future_;
  ResultConverter convert_;
  std::optional<pep3156::Value> result_;
  pep3156::CallbackId next_id_ = 1;
  std::map<pep3156::CallbackId, PyRef> callbacks_;  // for remove_done_callback()
};

/// A PythonFuture of `loop` on a Task running `coroutine` on `python_loop`
/// (`loop`'s). GIL held.
pep3156::FuturePtr run_as_future(pep3156::AbstractEventLoop& loop, PyObject* python_loop, PyRef coroutine,
                                 ResultConverter convert = nullptr);

}  // namespace loopcert_python
