// Asio's error codes as the exceptions the PEP's callers expect: an OS
// error is a std::system_error with its errno (generic_category), a name
// lookup failure one in pep3156::gai_category().
#pragma once

#include <asio/error.hpp>
#include <exception>
#include <string>
#include <system_error>

#include "pep3156/errors.hpp"

namespace loopcert_asio {

inline std::system_error os_error(const asio::error_code& error, const std::string& what) {
  // getaddrinfo()'s EAI_* codes (asio::error::get_addrinfo_category()).
  if (error.category() == asio::error::get_addrinfo_category()) {
    return std::system_error(error.value(), pep3156::gai_category(), what);
  }
  // gethostbyname()'s h_errno codes: "name or service not known".
  if (error.category() == asio::error::get_netdb_category()) {
    return std::system_error(EAI_NONAME, pep3156::gai_category(), what);
  }
  return std::system_error(error.value(), std::generic_category(), what);
}

}  // namespace loopcert_asio
