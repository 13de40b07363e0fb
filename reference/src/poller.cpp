// make_poller() and available_pollers(): the backends this build offers,
// chosen by name at run time, so one host can run the loop on each of them
// side by side.
#include <string>

#include "backends.hpp"
#include "pep3156/errors.hpp"

namespace pep3156::reference {

namespace {
struct Backend {
  std::string_view name;
  std::unique_ptr<Poller> (*make)();
};

// Oldest first; the last one is the best this platform has.
constexpr Backend kBackends[] = {
    {"select", make_select_poller},
    {"poll", make_poll_poller},
#ifdef PEP3156_HAVE_EPOLL
    {"epoll", make_epoll_poller},
#endif
#ifdef PEP3156_HAVE_KQUEUE
    {"kqueue", make_kqueue_poller},
#endif
};
}  // namespace

std::vector<std::string> available_pollers() {
  std::vector<std::string> names;
  for (const Backend& backend : kBackends) names.emplace_back(backend.name);
  return names;
}

std::unique_ptr<Poller> make_poller(std::string_view name) {
  if (name.empty()) return std::end(kBackends)[-1].make();
  for (const Backend& backend : kBackends) {
    if (backend.name == name) return backend.make();
  }
  std::string available;
  // Appended, not " " + std::string(...): GCC 12 at -O3 warns that
  // operator+'s insert at the front may overlap itself (-Wrestrict, a false
  // positive that stopped Release builds).
  for (const Backend& backend : kBackends) available.append(" ").append(backend.name);
  throw ValueError("make_poller(): no poller named '" + std::string(name) + "' here (available:" + available +
                   ")");
}

}  // namespace pep3156::reference
