// str(): a message from anything streamable, e.g. str("got ", n, " calls").
#pragma once

#include <sstream>
#include <string>

namespace conformance {

template <class... Parts>
std::string str(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace conformance
