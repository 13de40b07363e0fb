// Latency probes: measured and reported, never deciding conformance. Each
// is also a small correctness case (every sample arrives), so it names the
// clause whose behaviour it times. Budgets (loopcert --budget) turn a slow
// probe into QUALITY_WARNING, never into a failure.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"

using namespace pep3156;
using conformance::now_ns;

LOOPCERT_CASE("latency.call_soon_dispatch", clauses("LOOP-CALLSOON-SCHEDULES")) {
  // call_soon() to the callback running: one trip through the ready queue.
  constexpr int kSamples = 10000;
  auto loop = ctx.new_loop();
  std::vector<std::int64_t> samples;
  samples.reserve(kSamples);
  struct Hop {
    AbstractEventLoop* loop;
    std::vector<std::int64_t>* samples;
    std::int64_t scheduled;
    void operator()() const {
      samples->push_back(now_ns() - scheduled);
      if (samples->size() == kSamples) {
        loop->stop();
      } else {
        loop->call_soon(Hop{loop, samples, now_ns()});
      }
    }
  };
  loop->call_soon(Hop{loop.get(), &samples, now_ns()});
  ctx.run_forever(*loop, "10000 chained call_soon() callbacks");
  CHECK_EQUAL(samples.size(), std::size_t{kSamples}, "every chained callback ran");
  ctx.record("call_soon_dispatch", std::move(samples));
}

LOOPCERT_CASE("latency.timer_lateness", clauses("LOOP-CALLLATER-ONCE")) {
  // Fire time minus deadline on the loop's clock, for timers due every
  // 0.25 ms over 50 ms; a negative sample is an early fire.
  constexpr int kTimers = 200;
  constexpr double kSpacing = 0.00025;
  auto loop = ctx.new_loop();
  std::vector<std::int64_t> samples;
  samples.reserve(kTimers);
  double base = loop->time();
  for (int k = 1; k <= kTimers; ++k) {
    double when = base + k * kSpacing;
    loop->call_at(when, [&samples, &loop, when] {
      samples.push_back(static_cast<std::int64_t>((loop->time() - when) * 1e9));
    });
  }
  conformance::stop_when(*loop, [&] { return samples.size() == kTimers; });
  ctx.run_forever(*loop, "200 timers over 50 ms");
  CHECK_EQUAL(samples.size(), std::size_t{kTimers}, "every timer fired once");
  ctx.record("timer_lateness", std::move(samples));
}

LOOPCERT_CASE("latency.io_readiness", clauses("LOOP-IO-READER-WHENEVER-READY")) {
  // A byte written to a socket pair to its reader being called: the ping
  // goes through the loop's poller every time.
  constexpr int kSamples = 2000;
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  int reader = pair.first.get();
  int writer = pair.second.get();
  std::vector<std::int64_t> samples;
  samples.reserve(kSamples);
  std::int64_t written = 0;
  auto ping = [&] {
    written = now_ns();
    conformance::write_all(writer, "p", 1);
  };
  loop->add_reader(reader, [&] {
    char byte;
    if (::read(reader, &byte, 1) != 1) return;
    samples.push_back(now_ns() - written);
    if (samples.size() == kSamples) {
      loop->stop();
    } else {
      ping();
    }
  });
  loop->call_soon(ping);
  ctx.run_forever(*loop, "2000 socket pair round trips through add_reader()");
  loop->remove_reader(reader);
  CHECK_EQUAL(samples.size(), std::size_t{kSamples}, "the reader saw every byte");
  ctx.record("io_readiness", std::move(samples));
}

LOOPCERT_CASE("latency.threadsafe_wakeup", clauses("LOOP-THREADSAFE-WAKEUP")) {
  // From another thread, call_soon_threadsafe() to the callback running on
  // a loop that was asleep in its poller.
  constexpr int kSamples = 200;
  auto loop = ctx.new_loop();
  std::vector<std::int64_t> samples;
  samples.reserve(kSamples);
  std::mutex mutex;
  std::condition_variable ran;
  int done = 0;  // guarded by mutex
  std::thread poster([&] {
    for (int i = 0; i < kSamples; ++i) {
      ctx.wait_until_loop_blocked();
      std::int64_t posted = now_ns();
      loop->call_soon_threadsafe([&, posted] {
        samples.push_back(now_ns() - posted);
        {
          std::lock_guard lock(mutex);
          ++done;
        }
        ran.notify_one();
        if (samples.size() == kSamples) loop->stop();
      });
      std::unique_lock lock(mutex);
      ran.wait(lock, [&] { return done > i; });
    }
  });
  ctx.run_forever(*loop, "200 wake-ups by call_soon_threadsafe() from another thread");
  ctx.join(poster, "the thread posting with call_soon_threadsafe()");
  CHECK_EQUAL(samples.size(), std::size_t{kSamples}, "every posted callback ran");
  ctx.record("threadsafe_wakeup", std::move(samples));
}
