#include "transport_core.hpp"

#include <sys/socket.h>

#include <optional>
#include <system_error>

#include "os_error.hpp"

namespace loopcert_asio {

namespace {
std::optional<pep3156::SocketAddress> address_of(int fd, int (*get)(int, sockaddr*, socklen_t*)) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (get(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return std::nullopt;  // not connected
  try {
    return pep3156::SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
  } catch (const std::exception&) {
    return std::nullopt;  // an unnamed UNIX socket
  }
}
}  // namespace

TransportCore::TransportCore(AsioEventLoop& loop, int fd, std::shared_ptr<pep3156::BaseProtocol> protocol,
                             std::function<void()> on_lost, Descriptor kind)
    : loop_(loop), protocol_(std::move(protocol)), on_lost_(std::move(on_lost)) {
  if (!protocol_) throw pep3156::TypeError("the protocol factory returned no protocol");
  if (kind == Descriptor::pipe) {
    extra_["pipe"] = fd;
    return;
  }
  extra_["socket"] = fd;
  if (auto name = address_of(fd, ::getsockname)) extra_["sockname"] = *name;
  if (auto name = address_of(fd, ::getpeername)) extra_["peername"] = *name;
}

std::any TransportCore::extra_info(std::string_view name) const {
  auto it = extra_.find(name);
  return it == extra_.end() ? std::any() : it->second;  // TR-EXTRA-INFO-DEFAULT
}

void TransportCore::start(pep3156::Future<void> waiter) {
  loop_.call_soon([self = self(), this, waiter] { make_connection(waiter); });
}

void TransportCore::make_connection(const pep3156::Future<void>& waiter) {
  if (released_) return;
  std::exception_ptr failure;
  try {
    protocol_->connection_made(self());
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  if (failure) {
    protocol_failure(failure, "protocol.connection_made() failed");
  } else {
    made_ = true;
    start_receiving();
  }
  if (!waiter.valid() || waiter.done()) return;
  if (failure) {
    waiter.set_exception(failure);
  } else {
    waiter.set_result();
  }
}

void TransportCore::os_failure(const asio::error_code& error, const char* what) {
  force_close(std::make_exception_ptr(os_error(error, what)));
}

void TransportCore::protocol_failure(std::exception_ptr error, const char* message) {
  report(message, error);
  force_close(std::move(error));
}

void TransportCore::force_close(std::exception_ptr error) {
  if (lost_scheduled_) return;
  closing_ = true;
  discard();
  schedule_connection_lost(std::move(error));
}

void TransportCore::schedule_connection_lost(std::exception_ptr error) {
  lost_scheduled_ = true;
  loop_.call_soon([self = self(), this, error] { call_connection_lost(error); });
}

void TransportCore::call_connection_lost(std::exception_ptr error) {
  // The last call; then, whatever it threw, the socket is closed and the
  // protocol released, which breaks the transport <-> protocol cycle.
  std::exception_ptr failure;
  try {
    protocol_->connection_lost(error);
  } catch (...) {
    failure = std::current_exception();
  }
  close_socket();
  protocol_.reset();
  if (on_lost_) std::exchange(on_lost_, {})();
  if (failure) std::rethrow_exception(failure);
}

void TransportCore::report(const char* message, std::exception_ptr error) {
  pep3156::ExceptionContext context;
  context.message = message;
  context.exception = std::move(error);
  context.transport = self();
  context.protocol = protocol_;
  loop_.call_exception_handler(context);
}

}  // namespace loopcert_asio
