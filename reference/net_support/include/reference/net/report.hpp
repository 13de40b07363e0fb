// How the transports and servers report an error nobody awaits: to the
// loop's exception handler (PEP 3156, "Exceptions"), with the transport and
// protocol involved, and then the loop goes on.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::net {

/// Passes `exception` with `message` and the parties to the handler.
void report_error(AbstractEventLoop& loop, const std::string& message, std::exception_ptr exception,
                  std::shared_ptr<BaseTransport> transport = nullptr,
                  std::shared_ptr<BaseProtocol> protocol = nullptr, int socket = -1);

}  // namespace pep3156::reference::net
