// The Python bridge: exception mapping both ways, handles, the exception
// handler, and the GIL hand-off with a thread calling call_soon_threadsafe().
#include <doctest/doctest.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "cpp_function.hpp"
#include "exceptions.hpp"
#include "interpreter.hpp"
#include "pep3156/errors.hpp"
#include "python_event_loop.hpp"

namespace loopcert_python {
namespace {

/// Runs Python `statement` in a fresh namespace where `f` is bound to
/// `function`; rethrows what it raised, mapped to C++.
void run_python(const char* statement, PyObject* function = Py_None) {
  PyRef globals = check(PyDict_New());
  PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins());
  PyDict_SetItemString(globals.get(), "f", function);
  check(PyRun_String(statement, Py_file_input, globals.get(), globals.get()));
}

struct Custom : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST_CASE("Python exceptions become the contract's C++ exceptions") {
  ensure_interpreter();
  Gil gil;
  CHECK_THROWS_AS(run_python("import asyncio\nraise asyncio.CancelledError()"), pep3156::CancelledError);
  CHECK_THROWS_AS(run_python("import asyncio\nraise asyncio.InvalidStateError()"),
                  pep3156::InvalidStateError);
  CHECK_THROWS_AS(run_python("raise TimeoutError()"), pep3156::TimeoutError);
  CHECK_THROWS_AS(run_python("raise NotImplementedError()"), pep3156::NotImplementedError);
  CHECK_THROWS_AS(run_python("raise RuntimeError('x')"), pep3156::RuntimeError);
  CHECK_THROWS_AS(run_python("raise ValueError('x')"), pep3156::ValueError);
  CHECK_THROWS_AS(run_python("raise KeyError('x')"), pep3156::Error);
  CHECK_THROWS_AS(run_python("raise KeyboardInterrupt()"), pep3156::KeyboardInterrupt);
  try {
    run_python("import errno\nraise ConnectionRefusedError(errno.ECONNREFUSED, 'refused')");
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code().value() == ECONNREFUSED);
  }
}

TEST_CASE("a C++ exception crosses Python frames as itself") {
  ensure_interpreter();
  Gil gil;
  PyRef thrower = make_function([](PyObject*) -> PyRef { throw Custom("from C++"); });
  CHECK_THROWS_AS(run_python("f()", thrower.get()), Custom);
  // Python code in between sees an Exception it may catch...
  CHECK_NOTHROW(run_python("try:\n  f()\nexcept Exception:\n  pass", thrower.get()));
  // ...and a C++ CancelledError as an asyncio.CancelledError.
  PyRef cancel = make_function([](PyObject*) -> PyRef { throw pep3156::CancelledError(); });
  CHECK_NOTHROW(
      run_python("import asyncio\ntry:\n  f()\nexcept asyncio.CancelledError:\n  pass", cancel.get()));
}

TEST_CASE("callbacks run in order, a cancelled one does not, and the loop stops") {
  auto loop = std::make_shared<PythonEventLoop>("asyncio");
  std::vector<int> ran;
  loop->call_soon([&] { ran.push_back(1); });
  pep3156::Handle cancelled = loop->call_soon([&] { ran.push_back(2); });
  loop->call_later(0.001, [&] {
    ran.push_back(3);
    loop->stop();
  });
  loop->call_soon([&] { ran.push_back(4); });
  cancelled.cancel();
  loop->run_forever();
  CHECK(ran == std::vector<int>{1, 4, 3});
  loop->close();
  CHECK(loop->is_closed());
}

TEST_CASE("a callback's C++ exception reaches the contract's handler with its Handle") {
  auto loop = std::make_shared<PythonEventLoop>("asyncio");
  pep3156::ExceptionContext seen;
  loop->set_exception_handler(
      [&](pep3156::AbstractEventLoop&, const pep3156::ExceptionContext& context) { seen = context; });
  pep3156::Handle failing = loop->call_soon([] { throw Custom("boom"); });
  loop->call_soon([&] { loop->stop(); });
  loop->run_forever();
  REQUIRE(seen.exception);
  CHECK_THROWS_AS(std::rethrow_exception(seen.exception), Custom);
  CHECK(seen.handle == failing);
  loop->close();
}

TEST_CASE("a callback may join a thread that calls call_soon_threadsafe()") {
  auto loop = std::make_shared<PythonEventLoop>("asyncio");
  int calls = 0;
  loop->call_soon([&] {
    // This callback holds no GIL while it waits (cpp_function.cpp), so the
    // thread can enter Python.
    std::thread caller([&] {
      for (int i = 0; i < 100; ++i) loop->call_soon_threadsafe([&] { ++calls; });
      loop->call_soon_threadsafe([&] { loop->stop(); });
    });
    caller.join();
  });
  loop->run_forever();
  CHECK(calls == 100);
  loop->close();
}

TEST_CASE("BaseException leaves run_forever() as itself") {
  auto loop = std::make_shared<PythonEventLoop>("asyncio");
  loop->call_soon([] { throw pep3156::KeyboardInterrupt(); });
  CHECK_THROWS_AS(loop->run_forever(), pep3156::KeyboardInterrupt);
  CHECK_FALSE(loop->is_running());
  loop->close();
}

}  // namespace
}  // namespace loopcert_python
