// libloopcert_mutants.so's adapter list: one adapter per mutant, plus
// "forwarding", the base loop behind a plain ForwardingEventLoop (which must
// change nothing), each over a fresh loop of the base adapter.
#include <dlfcn.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "mutant.hpp"

namespace conformance::selftest {

namespace {
const pep3156::Adapter& load_base() {
  const char* path = std::getenv("LOOPCERT_MUTANT_BASE");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error("set LOOPCERT_MUTANT_BASE to the adapter library whose loop the mutants wrap");
  }
  void* library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) throw std::runtime_error(std::string("cannot load ") + path + ": " + ::dlerror());
  auto entry = reinterpret_cast<pep3156::AdapterEntryPoint>(::dlsym(library, pep3156::kAdapterEntryPoint));
  const pep3156::AdapterList* list = entry != nullptr ? entry() : nullptr;
  if (list == nullptr || list->contract_version != pep3156::kAdapterContractVersion || list->count == 0) {
    throw std::runtime_error(std::string(path) + " is not an adapter library of this contract version");
  }
  const char* name = std::getenv("LOOPCERT_MUTANT_BASE_LOOP");
  for (std::size_t i = 0; i < list->count; ++i) {
    if (name == nullptr || *name == '\0' || std::string(name) == list->adapters[i].name)
      return list->adapters[i];
  }
  throw std::runtime_error(std::string(path) + " has no loop named " + name);
}

/// make_loop and make_policy are plain function pointers: one instance of
/// these templates per mutant slot.
constexpr std::size_t kSlots = 128;

struct Forwarding final : pep3156::ForwardingEventLoop {
  using ForwardingEventLoop::ForwardingEventLoop;
};

const Mutant& slot(std::size_t i) {
  static const Mutant forwarding{"forwarding", Expect::tolerated, "",
                                 "the base loop behind a plain ForwardingEventLoop", wrap<Forwarding>};
  return i == 0 ? forwarding : mutants()[i - 1];
}

template <std::size_t I>
LoopPtr make_slot_loop() {
  return slot(I).wrap(base().make_loop());
}

template <std::size_t I>
std::shared_ptr<pep3156::AbstractEventLoopPolicy> make_slot_policy() {
  return slot(I).policy(&make_slot_loop<I>);
}

template <std::size_t... I>
constexpr auto loop_makers(std::index_sequence<I...>) {
  return std::array<MakeLoop, sizeof...(I)>{&make_slot_loop<I>...};
}
template <std::size_t... I>
constexpr auto policy_makers(std::index_sequence<I...>) {
  return std::array<std::shared_ptr<pep3156::AbstractEventLoopPolicy> (*)(), sizeof...(I)>{
      &make_slot_policy<I>...};
}

/// The adapters, built once in place (they point into their own strings).
class Library {
 public:
  Library() {
    constexpr auto make_loop = loop_makers(std::make_index_sequence<kSlots>());
    constexpr auto make_policy = policy_makers(std::make_index_sequence<kSlots>());
    std::size_t count = mutants().size() + 1;
    if (count > kSlots) throw std::runtime_error("more mutants than slots: raise kSlots");
    descriptions_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const Mutant& m = slot(i);
      descriptions_.push_back(m.clause.empty() ? m.description : m.clause + ": " + m.description);
      pep3156::Adapter adapter;
      adapter.name = m.name.c_str();
      adapter.description = descriptions_.back().c_str();
      adapter.capabilities = m.declare != nullptr ? m.declare(base().capabilities) : base().capabilities;
      adapter.make_loop = make_loop[i];
      adapter.make_policy = m.policy != nullptr ? make_policy[i] : nullptr;
      adapter.run_hosted = m.run_hosted;
      adapters_.push_back(adapter);
    }
    list_ = pep3156::AdapterList{pep3156::kAdapterContractVersion, adapters_.data(), count};
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  const pep3156::AdapterList& list() const { return list_; }

 private:
  std::vector<std::string> descriptions_;
  std::vector<pep3156::Adapter> adapters_;
  pep3156::AdapterList list_;
};
}  // namespace

const Base& base() {
  static const Base loaded = [] {
    const pep3156::Adapter& adapter = load_base();
    return Base{adapter.make_loop, adapter.capabilities, adapter.description};
  }();
  return loaded;
}

}  // namespace conformance::selftest

extern "C" const pep3156::AdapterList* pep3156_adapters() {
  try {
    static const conformance::selftest::Library library;
    return &library.list();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loopcert mutants: %s\n", e.what());
    return nullptr;
  }
}
