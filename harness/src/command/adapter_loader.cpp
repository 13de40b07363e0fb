#include "loopcert/adapter_loader.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <string>

#include "command/options.hpp"

namespace loopcert {

namespace {
std::string names(const pep3156::AdapterList& list) {
  std::string text;
  for (std::size_t i = 0; i < list.count; ++i)
    text += (i > 0 ? ", " : "") + std::string(list.adapters[i].name);
  return text;
}

std::string version_mismatch(const std::string& where, int theirs) {
  return where + " was built against adapter contract version " + std::to_string(theirs) +
         ", but this loopcert speaks version " + std::to_string(pep3156::kAdapterContractVersion) +
         ": rebuild the adapter against this kit's spec/cpp/include/pep3156 headers";
}
}  // namespace

void check_contract(const pep3156::AdapterList& list, const std::string& where) {
  if (list.contract_version != pep3156::kAdapterContractVersion) {
    throw UsageError(version_mismatch(where, list.contract_version));
  }
  if (list.count == 0 || list.adapters == nullptr) throw UsageError(where + " offers no adapter");
  for (std::size_t i = 0; i < list.count; ++i) {
    const pep3156::Adapter& a = list.adapters[i];
    std::string name = a.name != nullptr ? a.name : "";
    if (a.contract_version != pep3156::kAdapterContractVersion) {
      throw UsageError(version_mismatch(where + " (adapter '" + name + "')", a.contract_version));
    }
    if (name.empty()) throw UsageError(where + ": adapter #" + std::to_string(i) + " has no name");
    if (a.make_loop == nullptr) throw UsageError(where + ": adapter '" + name + "' has no make_loop");
    double resolution = a.capabilities.clock_resolution;
    if (!(resolution >= 0 && resolution <= kMaxClockResolution)) {
      throw UsageError(where + ": adapter '" + name + "' declares a clock resolution of " +
                       std::to_string(resolution) + " s; the kit accepts 0 to " +
                       std::to_string(kMaxClockResolution) + " s (decision D-CB-2)");
    }
  }
}

const pep3156::AdapterList& load_adapter_library(const std::string& path) {
  // dlopen() looks for a name without a slash only where the dynamic linker
  // searches, never in the current directory; "--adapter libx.so" means the
  // file here when there is one.
  bool here = path.find('/') == std::string::npos && ::access(path.c_str(), F_OK) == 0;
  std::string file = here ? "./" + path : path;
  // RTLD_LOCAL: the adapter's own symbols stay its own; the contract's
  // vocabulary comes from the one libpep3156 both sides link.
  void* library = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) throw UsageError("cannot load the adapter " + path + ": " + ::dlerror());
  void* symbol = ::dlsym(library, pep3156::kAdapterEntryPoint);
  if (symbol == nullptr) {
    throw UsageError(path + " does not export " + pep3156::kAdapterEntryPoint +
                     "() (see spec/cpp/include/pep3156/adapter.hpp)");
  }
  const pep3156::AdapterList* list = reinterpret_cast<pep3156::AdapterEntryPoint>(symbol)();
  if (list == nullptr) throw UsageError(path + ": " + pep3156::kAdapterEntryPoint + "() returned no list");
  check_contract(*list, path);
  return *list;
}

const pep3156::Adapter& select_adapter(const pep3156::AdapterList& list, const std::string& name,
                                       const std::string& where) {
  if (name.empty()) {
    if (list.count == 1) return list.adapters[0];
    throw UsageError(where + " offers several loops; choose one with --loop NAME: " + names(list));
  }
  for (std::size_t i = 0; i < list.count; ++i) {
    if (name == list.adapters[i].name) return list.adapters[i];
  }
  throw UsageError(where + " has no loop named '" + name + "'; it offers: " + names(list));
}

}  // namespace loopcert
