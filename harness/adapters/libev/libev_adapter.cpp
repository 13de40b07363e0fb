// The libev adapter: one loop per backend a libev user can choose with
// ev_loop_new() (epoll, poll, select), each offered only where this libev
// supports it (ev_supported_backends()).
#include <ev.h>

#include <array>
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

Capabilities LibevEventLoop::capabilities() const { return libev_capabilities(); }

}  // namespace loopcert_libev

namespace {

using loopcert_libev::LibevEventLoop;

template <unsigned Backend>
std::shared_ptr<pep3156::AbstractEventLoop> make_loop() {
  return std::make_shared<LibevEventLoop>(Backend);
}

struct Backend {
  unsigned flag;
  pep3156::Adapter adapter;
};

const std::array<Backend, 3> kBackends{{
    {EVBACKEND_EPOLL,
     {.name = "epoll",
      .description = "libev 4.33 ev_loop_new(EVBACKEND_EPOLL)",
      .make_loop = &make_loop<EVBACKEND_EPOLL>}},
    {EVBACKEND_POLL,
     {.name = "poll",
      .description = "libev 4.33 ev_loop_new(EVBACKEND_POLL)",
      .make_loop = &make_loop<EVBACKEND_POLL>}},
    {EVBACKEND_SELECT,
     {.name = "select",
      .description = "libev 4.33 ev_loop_new(EVBACKEND_SELECT)",
      .make_loop = &make_loop<EVBACKEND_SELECT>}},
}};

std::vector<pep3156::Adapter> available_adapters() {
  std::vector<pep3156::Adapter> adapters;
  for (const Backend& backend : kBackends) {
    if ((ev_supported_backends() & backend.flag) == 0) continue;
    pep3156::Adapter adapter = backend.adapter;
    adapter.capabilities = loopcert_libev::libev_capabilities();
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
