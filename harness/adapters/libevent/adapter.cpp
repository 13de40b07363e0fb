// The libevent adapter: one loop per backend libevent 2.1 offers on this
// host (epoll, poll, select), each chosen with event_config_avoid_method()
// and checked with event_base_get_method() (LibeventEventLoop's constructor).
#include "pep3156/adapter.hpp"

#include <event2/event.h>

#include <array>
#include <string>
#include <vector>

#include "libevent_event_loop.hpp"

namespace {

using pep3156::libevent_adapter::LibeventEventLoop;

// make_loop is a plain function pointer: one function per backend.
struct Backend {
  const char* name;
  const char* description;
  std::shared_ptr<pep3156::AbstractEventLoop> (*make_loop)();
};
std::shared_ptr<pep3156::AbstractEventLoop> make(const char* method) {
  return std::make_shared<LibeventEventLoop>(method);
}
constexpr std::array<Backend, 3> kBackends{{
    {"epoll", "libevent 2.1 event_base (epoll)", [] { return make("epoll"); }},
    {"poll", "libevent 2.1 event_base (poll)", [] { return make("poll"); }},
    {"select", "libevent 2.1 event_base (select)", [] { return make("select"); }},
}};

bool compiled_in(const char* method) {
  for (const char** supported = event_get_supported_methods(); supported && *supported; ++supported) {
    if (std::string(*supported) == method) return true;
  }
  return false;
}

std::vector<pep3156::Adapter> available_adapters() {
  std::vector<pep3156::Adapter> adapters;
  for (const Backend& backend : kBackends) {
    if (!compiled_in(backend.name)) continue;
    pep3156::Adapter adapter;
    adapter.name = backend.name;
    adapter.description = backend.description;
    adapter.capabilities = LibeventEventLoop::declared_capabilities();
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
