// The native probes on standalone Asio (native_probes.hpp): what the Asio
// adapter (harness/adapters/asio, its epoll build) does through the
// library, without the contract, the way an Asio program would write it.
//
//   chained_dispatch  asio::post() of the next handler from each handler,
//                     io_context::run() until they are done
//   ping_pong         a local::stream_protocol::socket on the echo end,
//                     async_read_some() then async_write() of what came
//   timers_fired      an asio::steady_timer per timer, expiring in the past
//                     as the adapter's do, and async_wait()
//   wake_up           asio::post() from another thread to a thread in
//                     io_context::run(), as call_soon_threadsafe()
// Each io_context takes concurrency hint 1, as the adapter's does.
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "chained_dispatch.hpp"
#include "native_probes.hpp"
#include "ping_pong.hpp"
#include "raw.hpp"
#include "timers.hpp"
#include "wake_up.hpp"

namespace loopbench::native_asio {
namespace {

void chained_dispatch_native(benchmark::State& state) {
  asio::io_context context(1);
  struct Chain {
    asio::io_context& context;
    int remaining = 0;
    void step() {
      if (--remaining > 0) asio::post(context, [this] { step(); });
    }
  } chain{context};
  measure_chains(state, [&](int length) {
    chain.remaining = length;
    asio::post(context, [&chain] { chain.step(); });
    context.run();  // until no handler is left
    context.restart();
  });
}

/// Reads a message and writes it back, then again, until end of stream.
class Echo {
 public:
  explicit Echo(asio::local::stream_protocol::socket& socket) : socket_(socket) {}

  void read() {
    socket_.async_read_some(asio::buffer(message_), [this](const asio::error_code& error, std::size_t n) {
      if (!error) write(n);  // else end of stream or a failure: nothing is left to do, run() ends
    });
  }

 private:
  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(message_, n), [this](const asio::error_code& error, std::size_t) {
      if (!error) read();
    });
  }

  asio::local::stream_protocol::socket& socket_;
  char message_[kMessage];
};

void echo_on_asio_socket(int fd) {
  asio::io_context context(1);
  asio::local::stream_protocol::socket socket(context, asio::local::stream_protocol(), fd);
  Echo echo(socket);
  echo.read();
  context.run();
  socket.release();  // fd is ping_against()'s to close
}

void ping_pong_native(benchmark::State& state) { ping_against(state, echo_on_asio_socket); }

void timers_fired_native(benchmark::State& state) {
  const std::vector<std::int64_t> spread = spread_deadlines_ns(state.range(0));
  std::int64_t fired = 0;
  asio::io_context context(1);
  std::vector<asio::steady_timer> timers;
  timers.reserve(spread.size());
  for (std::size_t i = 0; i < spread.size(); ++i) timers.emplace_back(context);
  for (auto _ : state) {
    fired = 0;
    auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < timers.size(); ++i) {
      timers[i].expires_at(now - std::chrono::nanoseconds(spread[i]));
      timers[i].async_wait([&fired](const asio::error_code&) { ++fired; });
    }
    context.run();  // until every wait has completed
    context.restart();
  }
  count_timers_fired(state, fired);
}

void wake_up_native(benchmark::State& state) {
  asio::io_context context(1);
  auto work = asio::make_work_guard(context);  // run() waits for posts rather than returning
  Stamp woke;
  SleeperThread running([&] { context.run(); });
  sample_wake_ups(state, running.tid(), woke,
                  [&] { asio::post(context, [&woke] { woke.set(monotonic_ns()); }); });
  work.reset();  // run() returns
}

// Only the adapter built on Asio's epoll reactor: this file is compiled
// with Asio's defaults, which are that reactor.
bool use_backend(std::string_view loop) { return loop == "epoll"; }

[[maybe_unused]] const bool offered =
    offer_native_probes({"asio", "libloopcert_asio_adapter.so", use_backend, chained_dispatch_native,
                         ping_pong_native, timers_fired_native, wake_up_native});

}  // namespace
}  // namespace loopbench::native_asio
