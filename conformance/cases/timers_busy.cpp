// Timers on a loop that is kept busy (PEP 3156, "Basic Callbacks":
// call_later, time).
//
// The other timer cases run on an otherwise idle loop. A loop that reads
// its clock once per iteration (as libuv caches uv_now()) passes them, and
// yet on a busy loop its time() lags behind real time by however long the
// iteration has run so far, so a timer scheduled late in an iteration fires
// early by that much. Here call_soon() callbacks, call_soon_threadsafe()
// posts from another thread, timers and (where the loop offers I/O) a
// reader each work 2 ms and schedule timers, so that every iteration runs
// several of them back to back.
//
// Two one-sided checks, the declared clock resolution the only tolerance
// (decision D-CB-2): time() read at the start of each callback has advanced
// at least as much as steady_clock since the previous callback, and every
// timer waits at least its delay in real time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::busy_wait;
using conformance::seconds_since;
using conformance::str;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kWork = 0.002;  // what each busy callback spends
constexpr double kDelay = 0.05;  // long enough that an early timer shows on a late host
constexpr int kTimersPerSource = 4;

enum Source { kCallSoon, kThreadsafe, kTimer, kReader, kSources };

/// The busy loop: each callback of a source calls work(source).
class BusyLoop {
 public:
  BusyLoop(conformance::Context& ctx, AbstractEventLoop& loop) : ctx_(ctx), loop_(loop) {
    timers_.reserve(kSources * kTimersPerSource);
  }

  /// Checks the clock against real time, spends kWork, and schedules one
  /// more timer for `source` until it has its share.
  void work(Source source) {
    check_clock_advanced();
    busy_wait(kWork);
    if (scheduled_[source] < kTimersPerSource) schedule_timer(source);
  }

  bool all_fired(bool with_reader) const {
    for (int source = 0; source < kSources; ++source) {
      if (source == kReader && !with_reader) continue;
      if (scheduled_[source] < kTimersPerSource) return false;
    }
    return std::all_of(timers_.begin(), timers_.end(), [](const Timer& t) { return t.waited >= 0; });
  }

  void check_timers() const {
    CHECK_THAT(lag_ <= ctx_.clock_resolution(),
               str("time() advances while the loop is busy: between two callbacks it fell ", lag_ * 1e3,
                   " ms behind steady_clock (resolution ", ctx_.clock_resolution() * 1e3, " ms)"));
    for (const Timer& t : timers_) {
      CHECK_THAT(t.waited >= kDelay - ctx_.clock_resolution(),
                 str("call_later(", kDelay, ") on a busy loop waits at least that long in real time (waited ",
                     t.waited * 1e3, " ms)"));
      CHECK_THAT(t.fired_at >= t.handle.when() - ctx_.clock_resolution(),
                 str("a timer on a busy loop runs no earlier than its when() (ran ",
                     (t.handle.when() - t.fired_at) * 1e3, " ms early)"));
    }
  }

 private:
  struct Timer {
    Clock::time_point scheduled;
    TimerHandle handle;
    double waited = -1;
    double fired_at = 0;
  };

  /// Time() is bracketed by steady_clock reads, so that between two
  /// callbacks A and B, time_B - time_A >= real_before_B - real_after_A
  /// on a clock that is read when asked.
  void check_clock_advanced() {
    Clock::time_point real_before = Clock::now();
    double now = loop_.time();
    Clock::time_point real_after = Clock::now();
    if (have_previous_) {
      double real_advance = std::chrono::duration<double>(real_before - previous_real_).count();
      // 1% for a clock that is slewed (as timers.time.counts_seconds).
      lag_ = std::max(lag_, real_advance * 0.99 - (now - previous_time_));
    }
    have_previous_ = true;
    previous_time_ = now;
    previous_real_ = real_after;
  }

  void schedule_timer(Source source) {
    ++scheduled_[source];
    std::size_t mine = timers_.size();
    timers_.push_back(Timer{Clock::now(), TimerHandle()});
    timers_[mine].handle = loop_.call_later(kDelay, [this, mine] {
      Timer& t = timers_[mine];
      t.waited = seconds_since(t.scheduled);
      t.fired_at = loop_.time();
      work(kTimer);
    });
  }

  conformance::Context& ctx_;
  AbstractEventLoop& loop_;
  std::vector<Timer> timers_;
  int scheduled_[kSources] = {};
  double lag_ = 0;
  bool have_previous_ = false;
  double previous_time_ = 0;
  Clock::time_point previous_real_{};
};

/// Runs the busy loop until every source has scheduled its timers and all
/// have fired; `reader_fd` (or -1) is an fd that stays readable.
void run_busy(conformance::Context& ctx, AbstractEventLoop& loop, BusyLoop& busy, int reader_fd) {
  std::atomic<bool> done{false};
  struct Chain {
    AbstractEventLoop* loop;
    BusyLoop* busy;
    std::atomic<bool>* done;
    void operator()() const {
      if (done->load()) return;
      busy->work(kCallSoon);
      loop->call_soon(*this);
    }
  };
  loop.call_soon(Chain{&loop, &busy, &done});
  if (reader_fd >= 0) loop.add_reader(reader_fd, [&] { busy.work(kReader); });
  // One post at a time: the next once the previous has run.
  std::atomic<int> posts_run{0};
  std::jthread poster([&] {
    for (int seen = 0; !done.load(); seen = posts_run.load()) {
      loop.call_soon_threadsafe([&] {
        if (!done.load()) busy.work(kThreadsafe);
        posts_run.fetch_add(1);
        posts_run.notify_all();
      });
      posts_run.wait(seen);
    }
  });
  conformance::stop_when(loop, [&] { return busy.all_fired(reader_fd >= 0); });
  ctx.run_forever(loop, "timers scheduled from busy callbacks, threadsafe posts and I/O");
  if (reader_fd >= 0) loop.remove_reader(reader_fd);
  done = true;
  // Wake the poster if it waits for a post the loop will run below.
  posts_run.fetch_add(1);
  posts_run.notify_all();
  conformance::join(ctx, poster, "the thread posting with call_soon_threadsafe()");
  // Let the chain and a last post see `done`, so nothing pending refers to this frame.
  loop.call_later(0.001, [&] { loop.stop(); });
  ctx.run_forever(loop, "the last callbacks of the busy loop");
}

}  // namespace

LOOPCERT_CASE("timers.busy.time_advances_and_timers_not_early",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-TIME-FLOAT", "LOOP-TIME-UNITS")) {
  auto loop = ctx.new_loop();
  BusyLoop busy(ctx, *loop);
  run_busy(ctx, *loop, busy, -1);
  busy.check_timers();
}

LOOPCERT_CASE("timers.busy.with_io_time_advances_and_timers_not_early",
              clauses("LOOP-CALLLATER-ONCE", "LOOP-TIME-FLOAT", "LOOP-IO-READER-WHENEVER-READY")) {
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  char byte = 'x';
  conformance::write_all(pair.second.get(), &byte, 1);  // never read: readable on every iteration
  BusyLoop busy(ctx, *loop);
  run_busy(ctx, *loop, busy, pair.first.get());
  busy.check_timers();
}
