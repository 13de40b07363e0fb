#include "pep3156/capabilities.hpp"

namespace pep3156 {

std::string_view category_name(Category one) noexcept {
  switch (one) {
    case Category::io_callbacks:
      return "io";
    case Category::pipes_subprocesses:
      return "pipes";
    case Category::signals:
      return "signals";
    case Category::unix_sockets:
      return "unix";
    case Category::ipv6:
      return "ipv6";
  }
  return "unknown";
}

}  // namespace pep3156
