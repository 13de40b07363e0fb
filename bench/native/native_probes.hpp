// The native probes: chained_dispatch, ping_pong, timers_fired and wake_up
// written against one library's own API (libuv.cpp, libev.cpp, asio.cpp),
// registered as "PROBE/native" beside "PROBE/loop" when loopbench measures
// that library's adapter (loopbench --native), so that one shuffled run
// measures both alike and report.py can say what the contract costs:
// adapter / native.
#pragma once

#include <benchmark/benchmark.h>

#include <string_view>

namespace loopbench {

struct NativeProbes {
  using Body = void (*)(benchmark::State&);

  const char* library;       // "libuv": for the report
  const char* adapter_file;  // the adapter they stand beside: "libloopcert_libuv_adapter.so"
  /// Readies the probes for the backend named like the adapter's loop
  /// being measured ("epoll" ...); false if the library has none such.
  bool (*use_backend)(std::string_view loop);
  Body chained_dispatch;
  Body ping_pong;
  Body timers_fired;
  Body wake_up;
};

/// For each library's file, from a static initialiser: the list is what
/// this build compiled. Returns true.
bool offer_native_probes(NativeProbes probes);

/// Registers the native probes of the library whose adapter is
/// `adapter_path` (by its file name), on `loop`, each as its contract
/// probe is registered. Returns the library's name, or null if this build
/// has none for that adapter and loop.
const char* register_native_probes(std::string_view adapter_path, std::string_view loop);

}  // namespace loopbench
