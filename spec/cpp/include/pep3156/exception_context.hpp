// The context passed to an exception handler (PEP 3156, "Exceptions"):
// Python's dict with its widely used keys as fields, and `extra` for the
// "many different keys" a loop may add.
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pep3156/future.hpp"
#include "pep3156/handle.hpp"

namespace pep3156 {

class BaseTransport;
class BaseProtocol;

struct ExceptionContext {
  /// 'message': what went wrong, for a person.
  std::string message;
  /// 'exception': the exception, or null if there is none.
  std::exception_ptr exception;
  /// 'future': the Future or Task involved, if any.
  FuturePtr future;
  /// 'handle': the callback that raised, if any.
  Handle handle;
  /// 'transport' / 'protocol': the connection involved, if any.
  std::shared_ptr<BaseTransport> transport;
  std::shared_ptr<BaseProtocol> protocol;
  /// 'socket': the file descriptor involved, or -1.
  int socket = -1;
  /// 'source_traceback' / 'handle_traceback': where the object was created
  /// (filled in debug mode where the loop can).
  std::vector<std::string> source_traceback;
  /// Any other key.
  std::map<std::string, std::string> extra;
};

/// Python's handler(context); set with set_exception_handler().
using ExceptionHandler = std::function<void(AbstractEventLoop& loop, const ExceptionContext&)>;

/// "message: what()" of the context's exception, for logs.
std::string describe(const ExceptionContext& context);

}  // namespace pep3156
