// The stateful random-operation test (random_program.hpp) on seeded
// programs, in `make test`:
//
//   loop_model_test --adapter LIB.so [--loop NAME] [--seeds FIRST-LAST] [--operations N]
//
// It runs on every loop (or the named one) of any adapter library, the
// reference loop's included, through the contract alone. A failure prints the seed and the command that
// replays it.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loopcert/adapter_loader.hpp"
#include "random_program.hpp"

namespace {
using loopcert::fuzz::ProgramLimits;

struct LoopUnderTest {
  std::string name;
  std::function<std::shared_ptr<pep3156::AbstractEventLoop>()> make;
  ProgramLimits limits;
};

struct Arguments {
  std::string adapter;
  std::string loop;
  std::uint32_t first_seed = 1;
  std::uint32_t last_seed = 4;
  std::size_t operations = 400;
};

Arguments parse_arguments(int argc, char** argv) {
  Arguments a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--adapter") {
      a.adapter = value;
    } else if (flag == "--loop") {
      a.loop = value;
    } else if (flag == "--seeds") {
      a.first_seed = static_cast<std::uint32_t>(std::stoul(value));
      auto dash = value.find('-');
      a.last_seed = dash == std::string::npos
                        ? a.first_seed
                        : static_cast<std::uint32_t>(std::stoul(value.substr(dash + 1)));
    } else if (flag == "--operations") {
      a.operations = std::stoul(value);
    } else {
      throw std::invalid_argument("unknown argument " + flag);
    }
  }
  if (argc % 2 == 0) throw std::invalid_argument(std::string("a value is missing after ") + argv[argc - 1]);
  return a;
}

std::vector<LoopUnderTest> adapter_loops(const std::string& library, const std::string& only) {
  const pep3156::AdapterList& list = loopcert::load_adapter_library(library);
  loopcert::check_contract(list, library);
  std::vector<LoopUnderTest> loops;
  for (std::size_t i = 0; i < list.count; ++i) {
    const pep3156::Adapter& adapter = list.adapters[i];
    // An embedded loop need not run_forever() or stop(): the program cannot run.
    if ((!only.empty() && adapter.name != only) || adapter.capabilities.embedded) continue;
    if (adapter.prepare_process != nullptr) adapter.prepare_process();
    ProgramLimits limits;
    limits.clock_resolution = adapter.capabilities.clock_resolution;
    limits.io_callbacks = pep3156::has(adapter.capabilities.categories, pep3156::Category::io_callbacks);
    loops.push_back({adapter.name, adapter.make_loop, limits});
  }
  return loops;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    Arguments a = parse_arguments(argc, argv);
    if (a.adapter.empty()) throw std::invalid_argument("--adapter LIB.so is required");
    std::vector<LoopUnderTest> loops = adapter_loops(a.adapter, a.loop);
    if (loops.empty()) throw std::invalid_argument("no loop to run on");
    int failed = 0;
    for (const LoopUnderTest& loop_under_test : loops) {
      for (std::uint32_t seed = a.first_seed; seed <= a.last_seed; ++seed) {
        auto program = loopcert::fuzz::program_from_seed(seed, a.operations);
        auto loop = loop_under_test.make();
        auto violations = loopcert::fuzz::run_random_program(*loop, program, loop_under_test.limits);
        loop->close();
        std::printf("%s seed %u: %s\n", loop_under_test.name.c_str(), seed,
                    violations.empty() ? "ok" : "VIOLATIONS");
        for (const auto& v : violations) std::printf("  %s\n", v.c_str());
        if (violations.empty()) continue;
        ++failed;
        std::printf("  replay: %s --adapter %s --loop %s --seeds %u --operations %zu\n", argv[0],
                    a.adapter.c_str(), loop_under_test.name.c_str(), seed, a.operations);
      }
    }
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loop_model_test: %s\n", e.what());
    return 2;
  }
}
