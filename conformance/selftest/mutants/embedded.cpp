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
/// starting, stopping and closing unimplemented, as the PEP allows; the
/// host, whose own loop is the correct one, runs and closes it. The kit
/// reaches its cases through the adapter's run_hosted hook.
class EmbeddedInHost final : public pep3156::ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  using ForwardingEventLoop::run_until_complete;
  /// The host closes its own loop when it lets the embedded one go.
  ~EmbeddedInHost() override {
    if (!inner().is_closed()) inner().close();
  }

  void run_forever() override { not_implemented("run_forever()"); }
  void run_until_complete(const pep3156::FuturePtr&) override { not_implemented("run_until_complete()"); }
  void stop() override { not_implemented("stop()"); }
  void close() override { not_implemented("close()"); }

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
