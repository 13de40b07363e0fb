#include "reference/net/selector_transport.hpp"

#include <system_error>

#include "reference/net/report.hpp"

namespace pep3156::reference::net {

namespace {
bool is_os_error(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error&) {
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

SelectorTransport::SelectorTransport(AbstractEventLoop& loop, Socket fd, bool is_pipe,
                                     std::shared_ptr<BaseProtocol> protocol, Callback on_lost)
    : loop_(loop), fd_(std::move(fd)), protocol_(std::move(protocol)), on_lost_(std::move(on_lost)) {
  if (!protocol_) throw TypeError("the protocol factory returned no protocol");
  if (is_pipe) {
    extra_["pipe"] = fd_.fd();
    return;
  }
  extra_["socket"] = fd_.fd();
  try {
    extra_["sockname"] = fd_.local_address();
    extra_["peername"] = fd_.peer_address();
  } catch (const std::exception&) {
    // Not connected (an unconnected datagram socket): no peername.
  }
}

std::any SelectorTransport::get_extra_info(std::string_view name) const {
  auto it = extra_.find(name);
  return it == extra_.end() ? std::any() : it->second;
}

WriteFlowControl::Parties SelectorTransport::parties() { return {loop_, shared_from_this(), protocol_}; }

void SelectorTransport::start(Future<void> waiter) {
  loop_.call_soon([self = shared_from_this(), waiter] { self->make_connection(waiter); });
}

void SelectorTransport::make_connection(const Future<void>& waiter) {
  try {
    protocol_->connection_made(shared_from_this());
  } catch (const std::exception&) {
    auto error = std::current_exception();
    fatal_error(error, "protocol.connection_made() failed");
    if (waiter.valid() && !waiter.done()) waiter.set_exception(error);
    return;
  }
  made_ = true;
  watch();
  if (waiter.valid() && !waiter.done()) waiter.set_result();
}

void SelectorTransport::fatal_error(std::exception_ptr error, const char* message) {
  if (!is_os_error(error)) report_error(loop_, message, error, shared_from_this(), protocol_);
  force_close(std::move(error));
}

void SelectorTransport::force_close(std::exception_ptr error) {
  if (lost_scheduled_) return;
  discard_buffer();
  closing_ = true;
  schedule_connection_lost(std::move(error));
}

void SelectorTransport::schedule_connection_lost(std::exception_ptr error) {
  lost_scheduled_ = true;
  loop_.remove_reader(fd_.fd());
  loop_.remove_writer(fd_.fd());
  loop_.call_soon([self = shared_from_this(), error] { self->call_connection_lost(error); });
}

void SelectorTransport::call_connection_lost(std::exception_ptr error) {
  // The last call; then, whatever it threw, the descriptor is closed and the
  // protocol released, which breaks the transport <-> protocol cycle.
  std::exception_ptr failure;
  try {
    protocol_->connection_lost(error);
  } catch (...) {
    failure = std::current_exception();
  }
  fd_.reset();
  protocol_.reset();
  if (on_lost_) std::exchange(on_lost_, {})();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace pep3156::reference::net
