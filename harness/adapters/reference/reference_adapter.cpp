// The reference loop behind the adapter contract: one adapter per poller
// this build offers, best first (epoll or kqueue, then poll, then select),
// so that one host certifies each backend side by side.
//
// The capabilities are the loop's own (SelectorEventLoop::capabilities()),
// read from a loop of each poller when the list is built, never restated.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "pep3156/adapter.hpp"
#include "reference/reference.hpp"

namespace {

using pep3156::reference::make_poller;
using pep3156::reference::SelectorEventLoop;

std::shared_ptr<pep3156::AbstractEventLoop> make(std::string_view poller) {
  return std::make_shared<SelectorEventLoop>(make_poller(poller));
}

// make_loop is a plain function pointer: one function per poller.
struct Backend {
  const char* name;
  std::shared_ptr<pep3156::AbstractEventLoop> (*make_loop)();
};
constexpr std::array<Backend, 4> kBackends{{
    {"epoll", [] { return make("epoll"); }},
    {"kqueue", [] { return make("kqueue"); }},
    {"poll", [] { return make("poll"); }},
    {"select", [] { return make("select"); }},
}};

class Adapters {
 public:
  Adapters() {
    std::vector<std::string> available = pep3156::reference::available_pollers();
    descriptions_.reserve(kBackends.size());
    for (const Backend& backend : kBackends) {
      if (std::find(available.begin(), available.end(), backend.name) == available.end()) continue;
      descriptions_.push_back(std::string("pep3156 reference SelectorEventLoop (") + backend.name + ")");
      pep3156::Adapter adapter;
      adapter.name = backend.name;
      adapter.description = descriptions_.back().c_str();
      adapter.capabilities = backend.make_loop()->capabilities();
      adapter.make_loop = backend.make_loop;
      adapters_.push_back(adapter);
    }
    list_ = pep3156::AdapterList{pep3156::kAdapterContractVersion, adapters_.data(), adapters_.size()};
  }
  Adapters(const Adapters&) = delete;
  Adapters& operator=(const Adapters&) = delete;
  const pep3156::AdapterList& list() const { return list_; }

 private:
  std::vector<std::string> descriptions_;
  std::vector<pep3156::Adapter> adapters_;
  pep3156::AdapterList list_;
};

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() {
  static const Adapters adapters;
  return &adapters.list();
}
