// Embedded loops (PEP 3156, "Embedded Event Loops"): the most they can be is
// partially conforming.
#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

pep3156::Capabilities embedded(pep3156::Capabilities base) {
  base.embedded = true;
  return base;
}

/// The correct loop, declared embedded. It happens to implement running,
/// so the kit can still run every case that is not about the lifecycle.
struct DeclaredEmbedded final : pep3156::ForwardingEventLoop {
  using ForwardingEventLoop::ForwardingEventLoop;
};
LOOPCERT_MUTANT({"declared_embedded", Expect::partial, "TIER-EMBEDDED",
                 "the correct loop, declared embedded: at best partially conforming", wrap<DeclaredEmbedded>,
                 embedded});

/// A loop embedded in a host application (decision D-LIFE-6): it leaves
/// starting and stopping unimplemented, as the PEP allows; the host, whose
/// own loop is the correct one, runs it. The kit reaches its cases through
/// the adapter's run_hosted hook. (It does close: the kit's descriptor
/// cases still close the loop to see what it releases.)
class EmbeddedInHost final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  using ForwardingEventLoop::run_until_complete;

  void run_forever() override { not_implemented("run_forever()"); }
  void run_until_complete(const pep3156::FuturePtr&) override { not_implemented("run_until_complete()"); }
  void stop() override { not_implemented("stop()"); }

  /// The host application's side of run_hosted: its loop runs `inside`
  /// first, and stops when `quit` is called.
  static void run_in_host(pep3156::AbstractEventLoop& loop, const pep3156::HostedBody& inside) {
    pep3156::AbstractEventLoop& host = dynamic_cast<EmbeddedInHost&>(loop).inner();
    host.call_soon([&host, &inside] { inside([&host] { host.stop(); }); });
    host.run_forever();
  }
};
LOOPCERT_MUTANT({"embedded_in_host", Expect::partial, "TIER-EMBEDDED",
                 "a loop that cannot run itself, run by its host application through run_hosted",
                 wrap<EmbeddedInHost>, embedded, nullptr, &EmbeddedInHost::run_in_host});

}  // namespace
}  // namespace conformance::selftest
