// The Python adapter: asyncio (over each selector), uvloop and gbulb, each a Python event loop
// behind PythonEventLoop, in Debian's embedded CPython 3.11.
#include <array>
#include <memory>
#include <string>

#include "bridge_module.hpp"
#include "pep3156/adapter.hpp"
#include "python_event_loop.hpp"

namespace {

using loopcert_python::PythonEventLoop;

/// Every optional category but UNIX sockets (an extension not bridged:
/// create_unix_connection()/create_unix_server() raise NotImplementedError).
pep3156::Capabilities python_capabilities(double clock_resolution) {
  pep3156::Capabilities capabilities;
  capabilities.categories =
      pep3156::Category::io_callbacks | pep3156::Category::signals | pep3156::Category::pipes_subprocesses;
  capabilities.clock_resolution = clock_resolution;
  return capabilities;
}

template <const char* Library>
std::shared_ptr<pep3156::AbstractEventLoop> make_loop() {
  return std::make_shared<PythonEventLoop>(Library);
}

// The interpreter and what the library keeps per process start before the
// kit notes the open descriptors: they are not the case's leak.
template <const char* Library>
void prepare_process() {
  loopcert_python::prepare_library(Library);
}

constexpr char kAsyncio[] = "asyncio";
constexpr char kAsyncioSelect[] = "asyncio-select";
constexpr char kAsyncioPoll[] = "asyncio-poll";
constexpr char kAsyncioEpoll[] = "asyncio-epoll";
constexpr char kUvloop[] = "uvloop";
constexpr char kGbulb[] = "gbulb";

// asyncio's timers compare deadlines with time.monotonic() (nanoseconds on
// Linux) and run a timer up to its _clock_resolution early
// (base_events.py, _run_once(): end_time = self.time() + self._clock_resolution).
constexpr double kMonotonicResolution = 1e-9;
// uvloop's time() is libuv's millisecond clock (uvloop/loop.pyx,
// Loop.time(): uv_now() / 1000); gbulb's timers are GLib timeouts in whole
// milliseconds (/usr/lib/python3/dist-packages/gbulb/glib_events.py:883,
// GLib.Timeout(delay * 1000)).
constexpr double kMillisecond = 1e-3;

template <const char* Library>
pep3156::Adapter python_adapter(const char* description, double clock_resolution = kMonotonicResolution) {
  pep3156::Adapter adapter;
  adapter.name = Library;
  adapter.description = description;
  adapter.capabilities = python_capabilities(clock_resolution);
  adapter.make_loop = make_loop<Library>;
  adapter.prepare_process = prepare_process<Library>;
  return adapter;
}

}  // namespace

extern "C" const pep3156::AdapterList* pep3156_adapters() {
  static const std::array<pep3156::Adapter, 6> adapters{{
      python_adapter<kAsyncio>("CPython 3.11 asyncio.SelectorEventLoop() (DefaultSelector: epoll)"),
      python_adapter<kAsyncioSelect>("CPython 3.11 asyncio.SelectorEventLoop(selectors.SelectSelector())"),
      python_adapter<kAsyncioPoll>("CPython 3.11 asyncio.SelectorEventLoop(selectors.PollSelector())"),
      python_adapter<kAsyncioEpoll>("CPython 3.11 asyncio.SelectorEventLoop(selectors.EpollSelector())"),
      python_adapter<kUvloop>("uvloop 0.17 (python3-uvloop) uvloop.Loop() on CPython 3.11", kMillisecond),
      python_adapter<kGbulb>("gbulb 0.6.3 (python3-gbulb) GLibEventLoop() on CPython 3.11", kMillisecond),
  }};
  static const pep3156::AdapterList list{pep3156::kAdapterContractVersion, adapters.data(), adapters.size()};
  return &list;
}
