// "Callbacks associated with the same event loop are strictly serialized:
// one callback must finish before the next one will be called" (PEP 3156,
// "Basic Callbacks"), whatever their kind ("Callback Style": call_soon,
// timers, call_soon_threadsafe, readers, writers and signal handlers
// alike). Each callback here marks itself inside while it runs; any other
// callback that starts meanwhile counts an overlap.
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;

namespace {
/// Counts callbacks that start while another one is inside.
struct OverlapMeter {
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  std::atomic<int> ran{0};

  /// The body every observed callback runs: mark inside, give a
  /// concurrent dispatcher a moment to show itself, leave. The moment is
  /// 20 us of the clock, spun: yielding instead (it used to yield 20 times)
  /// hands the core to whatever else runs, for up to a time slice each on
  /// a loaded machine, and a thousand callbacks then outlast the watchdog.
  void observe() {
    if (inside.exchange(true)) ++overlaps;
    conformance::busy_wait(20e-6);
    inside = false;
    ++ran;
  }
};
}  // namespace

LOOPCERT_CASE("callbacks.serialized.storm_of_kinds",
              clauses("LOOP-CALLBACKS-SERIALIZED", "LOOP-MUTEX-ALL-CALLBACK-KINDS")) {
  // Two threads post while call_soon() chains and timers keep running.
  constexpr int kPosts = 300;
  constexpr int kChain = 300;
  constexpr int kTimers = 100;
  auto loop = ctx.new_loop();
  OverlapMeter meter;
  struct Chain {
    AbstractEventLoop* loop;
    OverlapMeter* meter;
    int left;
    void operator()() const {
      meter->observe();
      if (left > 0) loop->call_soon(Chain{loop, meter, left - 1});
    }
  };
  std::vector<std::jthread> posters;
  loop->call_soon([&] {
    for (int t = 0; t < 2; ++t) {
      posters.emplace_back([&] {
        for (int i = 0; i < kPosts; ++i) loop->call_soon_threadsafe([&] { meter.observe(); });
      });
    }
  });
  loop->call_soon(Chain{loop.get(), &meter, kChain - 1});
  for (int i = 0; i < kTimers; ++i) loop->call_later(0.0001 * (i % 20), [&] { meter.observe(); });
  constexpr int kTotal = 2 * kPosts + kChain + kTimers;
  conformance::stop_when(*loop, [&] { return meter.ran.load() >= kTotal; });
  ctx.run_forever(*loop, "callbacks of three kinds, some posted from two other threads");
  for (auto& poster : posters) conformance::join(ctx, poster, "a posting thread");
  CHECK_EQUAL(meter.overlaps.load(), 0, "no callback of any kind starts while another one runs");
  CHECK_EQUAL(meter.ran.load(), kTotal, "every callback ran once");
}

LOOPCERT_CASE(
    "callbacks.serialized.io_callbacks",
    clauses("LOOP-CALLBACKS-SERIALIZED", "LOOP-MUTEX-ALL-CALLBACK-KINDS").needs(Category::io_callbacks)) {
  // While a callback runs, another thread makes a socket readable; its
  // reader (and a writer always ready) may run only after the callback.
  // The callback stays inside a few milliseconds after the write, so that a
  // loop dispatching I/O from a thread of its own is caught in the act (a
  // correct loop passes however short the window).
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  int fd = pair.first.get();
  OverlapMeter meter;
  std::atomic<bool> read_once{false};
  loop->add_reader(fd, [&] {
    meter.observe();
    char byte;
    if (::read(fd, &byte, 1) == 1) read_once = true;
  });
  int writer_calls = 0;
  loop->add_writer(pair.second.get(), [&] {
    meter.observe();
    ++writer_calls;
    loop->remove_writer(pair.second.get());
  });
  std::jthread writer;
  loop->call_soon([&] {
    if (meter.inside.exchange(true)) ++meter.overlaps;
    std::atomic<bool> written{false};
    writer = std::jthread([&] {
      conformance::write_all(pair.second.get(), "x", 1);
      written = true;
    });
    while (!written) std::this_thread::yield();
    conformance::busy_wait(0.005);
    meter.inside = false;
    writer.join();
  });
  conformance::stop_when(*loop, [&] { return read_once.load() && writer_calls >= 1; });
  ctx.run_forever(*loop, "a reader made ready by another thread while a callback runs, and a writer");
  loop->remove_reader(fd);
  CHECK_EQUAL(meter.overlaps.load(), 0, "reader and writer callbacks never overlap another callback");
}
