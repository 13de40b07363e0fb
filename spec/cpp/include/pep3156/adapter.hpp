// The adapter contract: how a loop plugs into loopcert (the conformance
// runner) and the benchmarks.
//
// Dynamic route: build a shared library that links libpep3156 and exports
//
//   extern "C" const pep3156::AdapterList* pep3156_adapters();
//
// returning one or more adapters (a library may offer several variants of
// its loop, as the reference loop offers one per poller). loopcert loads it
// with `loopcert --adapter path/to/lib.so [--loop NAME]`, checks
// contract_version against its own kAdapterContractVersion, and refuses to
// run anything (exit status 2) if they differ.
//
// Static route: a project that links the kit into its own test binary calls
// loopcert::run(argc, argv, adapters) with the same AdapterList
// (harness/include/loopcert/loopcert.hpp).
//
// Each call of make_loop() must return a fresh, unclosed, not running loop,
// owned by the returned shared_ptr. loopcert runs every case in its own
// process, so an adapter needs no cleanup between cases.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "pep3156/capabilities.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/policy.hpp"

namespace pep3156 {

/// Bumped whenever AbstractEventLoop, the vocabulary or this struct changes
/// in a way that breaks a compiled adapter.
inline constexpr int kAdapterContractVersion = 3;

/// Adapter::run_hosted's second argument: called once from inside the host's
/// running loop, with the `quit` that ends that run.
using HostedBody = std::function<void(std::function<void()> quit)>;

struct Adapter {
  /// Must be kAdapterContractVersion of the headers the adapter was built with.
  int contract_version = kAdapterContractVersion;
  /// Short and unique within the library: "epoll", "libuv".
  const char* name = "";
  /// Free text: the wrapped library and its version.
  const char* description = "";
  /// What the loop supports (optional categories, embedded, clock
  /// resolution): the one declaration, read before anything is called
  /// (decisions D-TIER-1, D-TIER-5). Category::ipv6 is a property of the
  /// host, which loopcert probes itself: declared here, it is ignored.
  Capabilities capabilities{};
  /// A fresh loop.
  std::shared_ptr<AbstractEventLoop> (*make_loop)() = nullptr;
  /// Optional: the loop's own policy; null means DefaultEventLoopPolicy over
  /// make_loop.
  std::shared_ptr<AbstractEventLoopPolicy> (*make_policy)() = nullptr;
  /// Optional: called once per process, before anything else of the
  /// adapter and before the kit notes which descriptors are open, for what
  /// a library opens once per process and keeps until exit (libuv's signal
  /// pipe). What it opens is not a leak; what make_loop() opens and close()
  /// does not release is. null: nothing to prepare.
  void (*prepare_process)() = nullptr;
  /// Optional, for an embedded loop (capabilities.embedded) that does not
  /// run itself (decision D-LIFE-6): the host application runs its own
  /// loop, in which `loop` (from make_loop()) is running, calls
  /// `inside(quit)` once from a callback of that run, and returns once
  /// `quit()` has been called (from any later callback) and the iteration
  /// that called it is over. loopcert runs the cases' run_forever(),
  /// run_until_complete() and stop() through it. null: the loop runs
  /// itself, or cannot be run (those cases are then UNRESOLVED).
  void (*run_hosted)(AbstractEventLoop& loop, const HostedBody& inside) = nullptr;
};

struct AdapterList {
  int contract_version = kAdapterContractVersion;
  const Adapter* adapters = nullptr;
  std::size_t count = 0;
};

/// The symbol loopcert looks up.
inline constexpr const char* kAdapterEntryPoint = "pep3156_adapters";
using AdapterEntryPoint = const AdapterList* (*)();

}  // namespace pep3156
