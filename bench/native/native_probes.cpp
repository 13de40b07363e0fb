#include "native_probes.hpp"

#include <vector>

#include "ping_pong.hpp"
#include "probes.hpp"
#include "timers.hpp"
#include "wake_up.hpp"

namespace loopbench {

namespace {
std::vector<NativeProbes>& offered() {
  static std::vector<NativeProbes> probes;  // filled before main(), in no set order
  return probes;
}
}  // namespace

bool offer_native_probes(NativeProbes probes) {
  offered().push_back(probes);
  return true;
}

const char* register_native_probes(std::string_view adapter_path, std::string_view loop) {
  std::string_view file = adapter_path.substr(adapter_path.rfind('/') + 1);  // npos + 1: the whole path
  for (const NativeProbes& native : offered()) {
    if (file != native.adapter_file || !native.use_backend(loop)) continue;
    probe("chained_dispatch/native", native.chained_dispatch);
    ping_pong_probe("native", native.ping_pong);
    timers_fired_probe("native", native.timers_fired);
    wake_up_probe("native", native.wake_up);
    return native.library;
  }
  return nullptr;
}

}  // namespace loopbench
