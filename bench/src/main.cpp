// loopbench: Google Benchmark probes of an event loop behind the adapter
// contract (spec/cpp/include/pep3156/adapter.hpp), each beside a baseline made
// of raw syscalls, measured in the same run. README.md says what each probe
// measures and how tools/bench.sh turns the figures into ratios.
//
//   loopbench [--adapter LIB.so] [--loop NAME] [--native] [--list-loops] [--benchmark_...]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fd_limit.hpp"
#include "loop_under_test.hpp"
#include "loopcert/adapter_loader.hpp"
#include "native_probes.hpp"
#include "probes.hpp"

namespace {

const char* const kUsage =
    R"(usage: loopbench [--adapter LIB.so] [--loop NAME] [--native] [--list-loops] [benchmark flags]

  --adapter LIB.so  a shared library exporting pep3156_adapters()
                    (default: the reference loop's adapter, installed
                    beside an installed loopbench, else of this build:
                    )" LOOPBENCH_DEFAULT_ADAPTER R"()
  --loop NAME       which of its loops (default: the first it lists)
  --native          if the adapter is libuv's, libev's or Asio's: the same
                    probes on that library's own API too, as PROBE/native
                    (bench/native/), for what the contract costs
  --list-loops      print the library's loops and exit
  --iterations N    exactly N iterations per repetition of every probe, for
                    counting instructions under callgrind (bench/callgrind.sh)

Google Benchmark's flags follow (--benchmark_filter, --benchmark_repetitions,
--benchmark_min_time, --benchmark_out ...).
)";

void print_usage() {
  std::fputs(kUsage, stdout);
  benchmark::PrintDefaultHelp();
}

/// The reference loop's adapter: an installed loopbench finds the installed
/// one from its own folder (LOOPBENCH_INSTALLED_ADAPTER, the way from bin/);
/// in the build tree, where that is not, the one of this build.
std::string default_adapter() {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length > 0) {
    std::string folder(self, static_cast<std::size_t>(length));
    std::string installed = folder.substr(0, folder.rfind('/') + 1) + LOOPBENCH_INSTALLED_ADAPTER;
    if (::access(installed.c_str(), R_OK) == 0) return installed;
  }
  return LOOPBENCH_DEFAULT_ADAPTER;
}

struct Options {
  std::string adapter_path = default_adapter();
  std::string loop_name;
  bool list_loops = false;
  bool native = false;
  long iterations = 0;
};

/// What Google Benchmark left of the command line. Returns false, having
/// said why, on anything else.
bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    bool takes_value = std::strcmp(argv[i], "--adapter") == 0 || std::strcmp(argv[i], "--loop") == 0 ||
                       std::strcmp(argv[i], "--iterations") == 0;
    if (takes_value && i + 1 == argc) {
      std::fprintf(stderr, "loopbench: %s needs a value\n", argv[i]);
      return false;
    }
    if (std::strcmp(argv[i], "--adapter") == 0) {
      options.adapter_path = argv[++i];
    } else if (std::strcmp(argv[i], "--loop") == 0) {
      options.loop_name = argv[++i];
    } else if (std::strcmp(argv[i], "--iterations") == 0) {
      options.iterations = std::atol(argv[++i]);
      if (options.iterations <= 0) {
        std::fprintf(stderr, "loopbench: --iterations takes a positive number, not '%s'\n", argv[i]);
        return false;
      }
    } else if (std::strcmp(argv[i], "--list-loops") == 0) {
      options.list_loops = true;
    } else if (std::strcmp(argv[i], "--native") == 0) {
      options.native = true;
    } else {
      std::fprintf(stderr, "loopbench: unknown argument '%s' (--help lists them)\n", argv[i]);
      return false;
    }
  }
  return true;
}

/// The adapter's short name, for the reports: its library's file name
/// without "lib", "loopcert_", "_adapter" and ".so"
/// (libloopcert_asio_uring_adapter.so: asio_uring).
std::string adapter_name(const std::string& path) {
  std::string name = path.substr(path.rfind('/') + 1);
  for (const char* prefix : {"lib", "loopcert_"}) {
    if (name.rfind(prefix, 0) == 0) name.erase(0, std::strlen(prefix));
  }
  for (const char* suffix : {".so", "_adapter"}) {
    std::size_t at = name.size() - std::min(name.size(), std::strlen(suffix));
    if (name.compare(at, std::string::npos, suffix) == 0) name.erase(at);
  }
  return name;
}

void list_loops(const pep3156::AdapterList& list) {
  for (std::size_t i = 0; i < list.count; ++i) {
    std::printf("%s\t%s\n", list.adapters[i].name, list.adapters[i].description);
  }
}

/// --native: the adapter's library's native probes, if this build has
/// them; a sweep over every adapter passes --native to each, so an adapter
/// without them is only noted.
void register_native(const std::string& adapter_path, const char* loop) {
  if (const char* library = loopbench::register_native_probes(adapter_path, loop)) {
    benchmark::AddCustomContext("native_library", library);
  } else {
    std::fprintf(stderr, "loopbench: no native probes for %s, loop %s: measuring the adapter alone\n",
                 adapter_path.c_str(), loop);
  }
}

}  // namespace

int main(int argc, char** argv) {
  loopbench::raise_fd_limit();  // the connection probes and idle_fds need thousands
  // A peer gone mid-write (the echo load generator failing) is an EPIPE
  // the probe reports, not the end of every probe.
  std::signal(SIGPIPE, SIG_IGN);
  benchmark::Initialize(&argc, argv, print_usage);  // takes the --benchmark_ flags out of argv
  Options options;
  if (!parse_options(argc, argv, options)) return 2;
  try {
    const pep3156::AdapterList& list = loopcert::load_adapter_library(options.adapter_path);
    if (options.list_loops) {
      list_loops(list);
      return 0;
    }
    // Unlike loopcert, no need to insist on a choice: the first loop is
    // the one the library recommends.
    std::string name = options.loop_name.empty() ? list.adapters[0].name : options.loop_name;
    const pep3156::Adapter& adapter = loopcert::select_adapter(list, name, options.adapter_path);
    loopbench::set_adapter(adapter);
    benchmark::AddCustomContext("adapter_library", options.adapter_path);
    benchmark::AddCustomContext("adapter", adapter_name(options.adapter_path));
    benchmark::AddCustomContext("loop", adapter.name);
    benchmark::AddCustomContext("loop_description", adapter.description);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loopbench: %s\n", e.what());
    return 2;
  }
  if (options.iterations > 0) loopbench::set_fixed_iterations(options.iterations);
  loopbench::register_call_soon_batch();
  loopbench::register_chained_dispatch();
  loopbench::register_timers();
  loopbench::register_timer_lateness();
  loopbench::register_ping_pong();
  loopbench::register_wake_up();
  loopbench::register_echo();
  loopbench::register_idle_memory();
  if (options.native) register_native(options.adapter_path, loopbench::adapter().name);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
