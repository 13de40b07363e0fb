#include "reference/net/report.hpp"

namespace pep3156::reference::net {

void report_error(AbstractEventLoop& loop, const std::string& message, std::exception_ptr exception,
                  std::shared_ptr<BaseTransport> transport, std::shared_ptr<BaseProtocol> protocol,
                  int socket) {
  ExceptionContext context;
  context.message = message;
  context.exception = std::move(exception);
  context.transport = std::move(transport);
  context.protocol = std::move(protocol);
  context.socket = socket;
  loop.call_exception_handler(context);
}

}  // namespace pep3156::reference::net
