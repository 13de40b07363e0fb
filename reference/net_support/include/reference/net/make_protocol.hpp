// Calling a create_*() method's protocol factory (LOOP-CONN-FACTORY-NOARGS).
#pragma once

#include <memory>

#include "pep3156/errors.hpp"
#include "pep3156/protocols.hpp"

namespace pep3156::reference::net {

/// factory(), TypeError if it makes nothing.
template <class P>
std::shared_ptr<P> make_protocol(const Factory<P>& factory) {
  std::shared_ptr<P> protocol = factory();
  if (!protocol) throw TypeError("the protocol factory returned no protocol");
  return protocol;
}

}  // namespace pep3156::reference::net
