// Catching a descriptor closed a second time (PEP 3156, "Transports"; the
// ownership rules of decisions D-PIPE-3, D-SOCK-1 and LOOP-CONN-SOCK): once
// the loop has closed a descriptor it owned, the case opens a fresh one on
// the same number and lets the loop go on, and then close; a loop that
// closes the number again later (a stale reference, a destructor, close())
// closes the case's fresh descriptor, which the case then finds gone.
//
// Header-only, written against spec/ alone, like the cases.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/helpers.hpp"
#include "pep3156/event_loop.hpp"

namespace conformance {

inline bool is_open_fd(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

/// The write end of a fresh pipe, put on a descriptor number the loop freed.
class ReusedNumber {
 public:
  /// Runs `loop` until `number` is closed (the loop closes what it owns),
  /// then opens a pipe whose write end takes that number; its read end goes
  /// above `highest`, the highest number the case is about to reuse.
  ReusedNumber(Context& ctx, pep3156::AbstractEventLoop& loop, int number, int highest,
               std::string_view whose)
      : number_(number) {
    run_until(
        ctx, loop, [number] { return !is_open_fd(number); },
        str("the loop to close ", whose, " after connection_lost()"));
    int fds[2];
    REQUIRE_THAT(::pipe2(fds, O_CLOEXEC) == 0, "a fresh pipe");
    // pipe2() may itself take a freed number: move both ends above them
    // first, then put the write end on this one.
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    read_end_.reset(::fcntl(read_end.get(), F_DUPFD_CLOEXEC, highest + 1));
    UniqueFd high_write_end(::fcntl(write_end.get(), F_DUPFD_CLOEXEC, highest + 1));
    read_end.reset();
    write_end.reset();
    placed_.reset(::fcntl(high_write_end.get(), F_DUPFD_CLOEXEC, number));
    REQUIRE_EQUAL(placed_.get(), number, str("a fresh descriptor takes the number ", whose, " had"));
  }

  /// Checks that the fresh descriptor is still open and still the pipe's.
  void check_intact(std::string_view after) const {
    // A signal may interrupt either call (or the fault shim may say it
    // did): retried, since only a closed or foreign descriptor matters here.
    auto retried = [](auto call) {
      ssize_t n;
      do n = call();
      while (n == -1 && errno == EINTR);
      return n;
    };
    char got = 0;
    bool intact = is_open_fd(number_) && retried([&] { return ::write(number_, "x", 1); }) == 1 &&
                  retried([&] { return ::read(read_end_.get(), &got, 1); }) == 1 && got == 'x';
    CHECK_THAT(intact, str("the descriptor that took the freed number is intact ", after,
                           ": the loop closed its own only once"));
  }

 private:
  int number_;
  UniqueFd read_end_;
  UniqueFd placed_;
};

/// Once the transports holding descriptors `numbers` have called
/// connection_lost(): the loop closes each number, and never again.
/// `release` drops every reference the case holds to the transports (so
/// that their remains may go); the loop then runs on a while and is closed,
/// with a fresh descriptor on each number all along.
inline void check_closed_once(Context& ctx, pep3156::AbstractEventLoop& loop, const std::vector<int>& numbers,
                              std::string_view whose, const std::function<void()>& release) {
  int highest = numbers.empty() ? 0 : *std::max_element(numbers.begin(), numbers.end());
  std::vector<std::unique_ptr<ReusedNumber>> reused;
  for (int number : numbers)
    reused.push_back(std::make_unique<ReusedNumber>(ctx, loop, number, highest, whose));
  release();
  int left = 20;
  std::function<void()> step = [&] {
    if (--left == 0) {
      loop.call_later(0.02, [&loop] { loop.stop(); });
    } else {
      loop.call_soon(step);
    }
  };
  loop.call_soon(step);
  ctx.run_forever(loop, "a few iterations and 20 ms more of the loop");
  for (const auto& each : reused) each->check_intact("while the loop ran on");
  ctx.close(loop);
  for (const auto& each : reused) each->check_intact("after the loop was closed");
}

}  // namespace conformance
