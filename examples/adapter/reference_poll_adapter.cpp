// An adapter built outside this repository, against an installed pep3156:
// the shape to copy for your own loop (README.md, "Installing").
//
// To stay small it wraps the installed reference SelectorEventLoop on its
// poll(2) poller, so certifying it certifies the package as installed
// (tools/test_install.sh, the install_out_of_tree_adapter test). Your
// adapter's make_loop() returns your loop instead, run on your library's own
// primitives (harness/README.md, "Writing an adapter").
#include <memory>
#include <pep3156/adapter.hpp>
#include <reference/reference.hpp>

namespace {

std::shared_ptr<pep3156::AbstractEventLoop> make_loop() {
  return std::make_shared<pep3156::reference::SelectorEventLoop>(pep3156::reference::make_poller("poll"));
}

}  // namespace

// The entry point loopcert looks up (pep3156::kAdapterEntryPoint). The
// capabilities are declared here, once (decision D-TIER-5): every optional
// category SelectorEventLoop implements; IPv6 is the host's, which the kit
// probes itself.
extern "C" const pep3156::AdapterList* pep3156_adapters() {
  using pep3156::Category;
  static const pep3156::Adapter adapter{
      .name = "reference-poll",
      .description = "the installed pep3156 reference SelectorEventLoop (poll), built out of tree",
      .capabilities = {.categories = Category::io_callbacks | Category::signals |
                                     Category::pipes_subprocesses | Category::unix_sockets},
      .make_loop = &make_loop,
  };
  static const pep3156::AdapterList list{.adapters = &adapter, .count = 1};
  return &list;
}
