// The libev adapter: one loop per backend a libev user can choose with
// ev_loop_new() (epoll, poll, select), each offered only where this libev
// supports it (ev_supported_backends()).
#include <ev.h>

#include <array>
#include <string>
#include <vector>

#include "libev_event_loop.hpp"
#include "pep3156/adapter.hpp"

namespace loopcert_libev {

// The one place the capabilities are declared. Sockets, UNIX sockets,
// pipes and subprocesses come from the readiness transports over libev's
// watchers: libev's own ev_child only works on the default loop and needs
// its SIGCHLD handler, so the subprocess transport watches a pidfd through
// add_reader() instead. The timers are never early (LibevCoreLoop::call_at()),
// so the clock's own resolution is the only tolerance needed (D-CB-2).
Capabilities libev_capabilities() {
  Capabilities capabilities;
  capabilities.categories = pep3156::Category::io_callbacks | pep3156::Category::signals |
                            pep3156::Category::pipes_subprocesses | pep3156::Category::unix_sockets;
  capabilities.clock_resolution = 1e-9;
  return capabilities;
}

}  // namespace loopcert_libev

namespace {

using loopcert_libev::LibevEventLoop;

template <unsigned Backend>
std::shared_ptr<pep3156::AbstractEventLoop> make_loop() {
  return std::make_shared<LibevEventLoop>(Backend);
}

struct Backend {
  unsigned flag;
  const char* flag_name;
  const char* name;
  std::shared_ptr<pep3156::AbstractEventLoop> (*make_loop)();
};

constexpr std::array<Backend, 3> kBackends{{
    {EVBACKEND_EPOLL, "EVBACKEND_EPOLL", "epoll", &make_loop<EVBACKEND_EPOLL>},
    {EVBACKEND_POLL, "EVBACKEND_POLL", "poll", &make_loop<EVBACKEND_POLL>},
    {EVBACKEND_SELECT, "EVBACKEND_SELECT", "select", &make_loop<EVBACKEND_SELECT>},
}};

std::vector<pep3156::Adapter> available_adapters() {
  // The version of the libev this process runs on, not the one it was built with.
  static std::array<std::string, kBackends.size()> descriptions;
  std::vector<pep3156::Adapter> adapters;
  for (std::size_t i = 0; i < kBackends.size(); ++i) {
    const Backend& backend = kBackends[i];
    if ((ev_supported_backends() & backend.flag) == 0) continue;
    descriptions[i] = "libev " + std::to_string(ev_version_major()) + "." +
                      std::to_string(ev_version_minor()) + " ev_loop_new(" + backend.flag_name + ")";
    pep3156::Adapter adapter;
    adapter.name = backend.name;
    adapter.description = descriptions[i].c_str();
    adapter.capabilities = loopcert_libev::libev_capabilities();
    adapter.make_loop = backend.make_loop;
    adapters.push_back(adapter);
  }
  return adapters;
}

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() {
  static const std::vector<pep3156::Adapter> adapters = available_adapters();
  static const pep3156::AdapterList list{pep3156::kAdapterContractVersion, adapters.data(), adapters.size()};
  return &list;
}
