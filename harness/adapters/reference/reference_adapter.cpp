// The reference loop behind the adapter contract: one adapter per poller
// this build offers, best first (epoll or kqueue, then poll, then select),
// then one per proactor (io_uring), so that one host certifies each
// backend side by side.
//
// What the reference loops support is the same on every backend and is stated
// once, here (kReferenceLoopCapabilities): the adapter is the loop's one
// declaration (decision D-TIER-1). IPv6 is not the loop's to declare:
// loopcert probes the host for it (decision D-TIER-5).
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "pep3156/adapter.hpp"
#include "reference/reference.hpp"

namespace {

using pep3156::reference::make_poller;
using pep3156::reference::make_proactor;
using pep3156::reference::ProactorEventLoop;
using pep3156::reference::SelectorEventLoop;

std::shared_ptr<pep3156::AbstractEventLoop> make(std::string_view poller) {
  return std::make_shared<SelectorEventLoop>(make_poller(poller));
}

// Where the build has io_uring but the kernel refuses it, make_proactor()
// throws the std::system_error that says why, and loopcert reports it.
std::shared_ptr<pep3156::AbstractEventLoop> make_proactor_loop(std::string_view proactor) {
  return std::make_shared<ProactorEventLoop>(make_proactor(proactor));
}

// Every optional category, on every poller (select, poll, epoll and kqueue
// all watch sockets, pipes and the signal wake-up pipe alike) and on the
// proactor, whose transports are the same ones over its poll operations;
// timers are as fine as the monotonic clock.
constexpr pep3156::Capabilities kReferenceLoopCapabilities{
    .categories = pep3156::Category::io_callbacks | pep3156::Category::pipes_subprocesses |
                  pep3156::Category::signals | pep3156::Category::unix_sockets,
};

// make_loop is a plain function pointer: one function per backend.
struct Backend {
  const char* name;
  const char* description;
  std::shared_ptr<pep3156::AbstractEventLoop> (*make_loop)();
};
constexpr std::array<Backend, 5> kBackends{{
    {"epoll", "pep3156 reference SelectorEventLoop (epoll)", [] { return make("epoll"); }},
    {"kqueue", "pep3156 reference SelectorEventLoop (kqueue)", [] { return make("kqueue"); }},
    {"poll", "pep3156 reference SelectorEventLoop (poll)", [] { return make("poll"); }},
    {"select", "pep3156 reference SelectorEventLoop (select)", [] { return make("select"); }},
    {"io_uring", "pep3156 reference ProactorEventLoop (io_uring)",
     [] { return make_proactor_loop("io_uring"); }},
}};

bool built_here(const char* backend) {
  std::vector<std::string> built = pep3156::reference::available_pollers();
  for (std::string& proactor : pep3156::reference::available_proactors())
    built.push_back(std::move(proactor));
  return std::find(built.begin(), built.end(), backend) != built.end();
}

std::vector<pep3156::Adapter> available_adapters() {
  std::vector<pep3156::Adapter> adapters;
  for (const Backend& backend : kBackends) {
    if (!built_here(backend.name)) continue;
    pep3156::Adapter adapter;
    adapter.name = backend.name;
    adapter.description = backend.description;
    adapter.capabilities = kReferenceLoopCapabilities;
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
