// The exceptions PEP 3156 names, as C++ types.
//
// Python has two families of exceptions (PEP 3156, "Exceptions"): those
// derived from Exception, which futures pass through and which the loop
// routes to its exception handler when a callback raises one, and those
// derived only from BaseException (KeyboardInterrupt, SystemExit), which
// are "typically not caught". The C++ rendering is:
//
//   - every std::exception is the Exception family: futures carry it, and a
//     callback that throws one reaches the loop's exception handler while
//     the loop goes on (decision D-ERR-1 in spec/decisions.md);
//   - pep3156::BaseException, which deliberately does NOT derive from
//     std::exception, is the BaseException family: it propagates out of
//     run_forever()/run_until_complete() to the caller.
//
// Operating-system errors are std::system_error carrying errno, as the
// guide requires; the PEP's own errors derive from pep3156::Error.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace pep3156 {

/// Base of every error this specification defines (Python's Exception).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Python's RuntimeError: an operation that the object's state forbids
/// (running a loop that is already running, using a closed loop, ...).
class RuntimeError : public Error {
 public:
  using Error::Error;
};

/// Python's ValueError: an argument with the right type but a bad value
/// (an invalid signal number, a low water mark above the high one, ...).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// Python's TypeError, kept for arguments the C++ type system cannot rule
/// out (a protocol factory returning null, an address of the wrong kind).
class TypeError : public Error {
 public:
  using Error::Error;
};

/// Python's NotImplementedError: an optional category the loop does not
/// support (PEP 3156, "Event Loop Methods Overview").
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

/// Raised whenever a Future is not in a state acceptable to the method
/// being called (set_result() on a done Future, result() on a pending one).
class InvalidStateError : public Error {
 public:
  using Error::Error;
};

/// Raised when result() or exception() is called on a cancelled Future, and
/// thrown into a coroutine at its suspension point when its Task is
/// cancelled.
class CancelledError : public Error {
 public:
  CancelledError() : Error("cancelled") {}
  using Error::Error;
};

/// Raised by wait_for() when the timeout expires, and by as_completed()'s
/// placeholders after its timeout. (The PEP says run_until_complete() "may"
/// raise it; when the loop stops before the Future is done it raises
/// RuntimeError instead, as asyncio does: decision D-LIFE-3.)
class TimeoutError : public Error {
 public:
  using Error::Error;
};

/// Vestigial in the final PEP (result() has no timeout argument); kept so
/// that every name the PEP defines exists. Nothing in this project raises it.
class InvalidTimeoutError : public Error {
 public:
  using Error::Error;
};

/// A TLS handshake, verification or shutdown failure (Python's ssl.SSLError
/// and ssl.CertificateError).
class SSLError : public Error {
 public:
  using Error::Error;
};

/// Python's BaseException family. Not a std::exception on purpose: a loop
/// lets it propagate out of run_forever()/run_until_complete() instead of
/// passing it to the exception handler.
class BaseException {
 public:
  explicit BaseException(std::string what) : what_(std::move(what)) {}
  virtual ~BaseException() = default;
  const char* what() const noexcept { return what_.c_str(); }

 private:
  std::string what_;
};

class KeyboardInterrupt : public BaseException {
 public:
  KeyboardInterrupt() : BaseException("KeyboardInterrupt") {}
};

class SystemExit : public BaseException {
 public:
  explicit SystemExit(int code = 0) : BaseException("SystemExit"), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// The category of getaddrinfo()/getnameinfo() error codes (EAI_*).
const std::error_category& gai_category() noexcept;

/// Throws std::system_error for errno value `err`, naming the operation.
[[noreturn]] void throw_system_error(int err, const char* what);

/// Throws std::system_error for the current errno, naming the operation.
[[noreturn]] void throw_errno(const char* what);

}  // namespace pep3156
