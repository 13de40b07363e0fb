#include "pep3156/policy.hpp"
#include "reference/reference.hpp"

namespace pep3156::reference {

void install() {
  set_default_loop_factory([] { return std::make_shared<SelectorEventLoop>(make_poller("")); });
}

}  // namespace pep3156::reference
