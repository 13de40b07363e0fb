// Fuzz target: the stateful random-operation test (random_program.hpp) with
// libFuzzer's bytes as the program, on the reference loop: the first byte
// picks the poller, the rest are the operations. A violation of the model
// aborts, printing it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>

#include "random_program.hpp"
#include "reference/core_selector_event_loop.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const auto pollers = pep3156::reference::available_pollers();
  const std::string& poller = pollers[data[0] % pollers.size()];
  auto loop =
      std::make_shared<pep3156::reference::CoreSelectorEventLoop>(pep3156::reference::make_poller(poller));
  auto violations = loopcert::fuzz::run_random_program(*loop, std::span(data + 1, size - 1), {});
  loop->close();
  for (const auto& v : violations) std::fprintf(stderr, "%s: %s\n", poller.c_str(), v.c_str());
  if (!violations.empty()) std::abort();
  return 0;
}
