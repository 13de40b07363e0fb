// What create_connection() and create_datagram_endpoint() raise when
// every address they tried failed.
#pragma once

#include <exception>
#include <string>
#include <system_error>
#include <vector>

namespace loopcert_asio {

/// Why each address failed: the only failure as it was, or one
/// std::system_error naming them all with the first one's errno.
[[noreturn]] inline void raise_failures(const std::vector<std::exception_ptr>& failures,
                                        const std::string& what) {
  if (failures.size() == 1) std::rethrow_exception(failures.front());
  std::error_code code;
  std::string message = what + ": every address failed:";
  for (const std::exception_ptr& failure : failures) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::system_error& error) {
      if (!code) code = error.code();
      message += std::string(" [") + error.what() + "]";
    }
  }
  throw std::system_error(code ? code : std::make_error_code(std::errc::io_error), message);
}

}  // namespace loopcert_asio
