#include "pep3156/errors.hpp"

#include <cerrno>
#include <system_error>

namespace pep3156 {

void throw_system_error(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

void throw_errno(const char* what) { throw_system_error(errno, what); }

}  // namespace pep3156

#include "pep3156/socket_api.hpp"

namespace pep3156 {

namespace {
class GaiCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int code) const override { return ::gai_strerror(code); }
};
}  // namespace

const std::error_category& gai_category() noexcept {
  static const GaiCategory category;
  return category;
}

}  // namespace pep3156
