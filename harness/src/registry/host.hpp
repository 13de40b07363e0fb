// What the host offers, probed by loopcert itself once per run: properties
// of the machine are not an adapter's to declare (decision D-TIER-5).
#pragma once

#include "pep3156/capabilities.hpp"

namespace loopcert {

struct HostProperties {
  /// A socket can be bound to [::1]: the cases that need Category::ipv6 apply.
  bool ipv6_loopback = false;
};

/// Probes this host.
HostProperties probe_host();

/// The adapter's declaration without the host's properties: an adapter's
/// Category::ipv6 is ignored.
pep3156::Capabilities without_host_properties(pep3156::Capabilities declared);

/// What the kit takes a loop to support on this host: its declaration
/// without the host's properties, plus what the host offers.
pep3156::Capabilities on_host(pep3156::Capabilities declared, const HostProperties& host);

}  // namespace loopcert
