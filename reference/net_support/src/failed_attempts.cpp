#include "reference/net/failed_attempts.hpp"

namespace pep3156::reference::net {

void FailedAttempts::add(const SocketAddress& address, std::exception_ptr error) {
  Failure failure{"", std::move(error), {}};
  try {
    std::rethrow_exception(failure.error);
  } catch (const std::system_error& e) {
    failure.text = e.what();
    failure.code = e.code();
  } catch (const std::exception& e) {
    failure.text = e.what();
  }
  std::string name = address.to_string();
  if (failure.text.find(name) == std::string::npos) failure.text = name + ": " + failure.text;
  failures_.push_back(std::move(failure));
}

void FailedAttempts::raise(const std::string& what) const {
  if (failures_.size() == 1) std::rethrow_exception(failures_.front().error);
  std::error_code code;
  std::string message = what + ": every address failed:";
  for (const Failure& failure : failures_) {
    message += " [" + failure.text + "]";
    if (!code) code = failure.code;
  }
  if (!code) code = std::make_error_code(std::errc::io_error);
  throw std::system_error(code, message);
}

}  // namespace pep3156::reference::net
