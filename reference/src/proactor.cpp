// make_proactor() and available_proactors(): the completion facilities
// this build offers, chosen by name at run time like the pollers.
#include <string>

#include "backends.hpp"
#include "pep3156/errors.hpp"

namespace pep3156::reference {

namespace {
struct Backend {
  std::string_view name;
  std::unique_ptr<Proactor> (*make)();
};

// The best one last, as for the pollers. Empty where there is none (a
// vector, since an array may not be empty).
const std::vector<Backend> kBackends{
#ifdef PEP3156_HAVE_IO_URING
    {"io_uring", make_io_uring_proactor},
#endif
#ifdef _WIN32
    {"iocp", make_iocp_proactor},
#endif
};
}  // namespace

std::vector<std::string> available_proactors() {
  std::vector<std::string> names;
  for (const Backend& backend : kBackends) names.emplace_back(backend.name);
  return names;
}

std::unique_ptr<Proactor> make_proactor(std::string_view name) {
  if (name.empty() && !kBackends.empty()) return kBackends.back().make();
  for (const Backend& backend : kBackends) {
    if (backend.name == name) return backend.make();
  }
  throw ValueError("make_proactor(): no proactor named '" + std::string(name) + "' in this build");
}

}  // namespace pep3156::reference
