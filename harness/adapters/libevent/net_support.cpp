#include "net_support.hpp"

#include <cerrno>
#include <exception>

namespace pep3156::libevent_adapter {

void throw_os_error(int err, const std::string& what) { std::rethrow_exception(os_error(err, what)); }

}  // namespace pep3156::libevent_adapter
