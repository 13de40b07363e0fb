// An embedded loop (PEP 3156, "Embedded Event Loops"): the most it can be
// is partially conforming.
#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

/// The correct loop, declared embedded. It happens to implement running,
/// so the kit can still run every case that is not about the lifecycle.
struct DeclaredEmbedded final : pep3156::ForwardingEventLoop {
  using ForwardingEventLoop::ForwardingEventLoop;
};
pep3156::Capabilities embedded(pep3156::Capabilities base) {
  base.embedded = true;
  return base;
}
LOOPCERT_MUTANT({"declared_embedded", Expect::partial, "TIER-EMBEDDED",
                 "the correct loop, declared embedded: at best partially conforming", wrap<DeclaredEmbedded>,
                 embedded});

}  // namespace
}  // namespace conformance::selftest
