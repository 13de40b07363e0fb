#include "reference/net/connection_made.hpp"

namespace pep3156::reference::net {

Coroutine<void> connection_made(Future<void> waiter, std::shared_ptr<BaseTransport> transport) {
  try {
    co_await waiter;
  } catch (...) {
    transport->close();
    throw;
  }
}

}  // namespace pep3156::reference::net
