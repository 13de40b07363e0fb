// Tools the cases about the loop itself share: a callback that keeps the
// ready queue busy, a record of what reached an exception handler, an
// executor that says how it was used, the process's open descriptors, and
// a busy wait for the few cases whose subject is time itself, and a
// one-byte read for the I/O cases.
//
// Header-only and written against spec/ alone, like the cases.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "conformance/context.hpp"
#include "conformance/fixtures.hpp"
#include "pep3156/errors.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/executor.hpp"

namespace conformance {

/// A callback that schedules itself again with call_soon() every time it
/// runs, so the loop always has a callback ready. It calls stop() on its
/// `stop_at`-th run (never when 0) and goes on rescheduling itself after.
struct Spinner {
  pep3156::AbstractEventLoop* loop;
  int* spins;
  int stop_at = 0;
  void operator()() const {
    if (++*spins == stop_at) loop->stop();
    loop->call_soon(*this);
  }
};

/// Runs `loop` with a chain of `steps` call_soon() callbacks, each
/// scheduling the next, the last calling stop(). Returns whether the run
/// reached that last step: false means something else stopped the run
/// first (a stale stop left over from an earlier run).
inline bool runs_until_its_own_stop(Context& ctx, pep3156::AbstractEventLoop& loop, int steps = 10) {
  struct Step {
    pep3156::AbstractEventLoop* loop;
    int left;
    bool* reached;
    void operator()() const {
      if (left == 0) {
        *reached = true;
        loop->stop();
      } else {
        loop->call_soon(Step{loop, left - 1, reached});
      }
    }
  };
  bool reached = false;
  loop.call_soon(Step{&loop, steps, &reached});
  ctx.run_forever(loop, "a chain of call_soon() callbacks ending in stop()");
  bool reached_in_one_run = reached;
  // After an early stop, let the chain finish (each run takes it at least
  // one step further), so that no pending callback refers to `reached`.
  for (int run = 0; !reached && run <= steps; ++run) ctx.run_forever(loop, "the rest of the chain");
  return reached_in_one_run;
}

/// Joins a helper thread under the watchdog. Cases hold helper threads in
/// std::jthread, so that a check that ends the case early still joins them.
inline void join(Context& ctx, std::jthread& thread, std::string waiting_for) {
  Watch guard = ctx.watch(std::move(waiting_for));
  thread.join();
}

/// what() of an exception_ptr's exception; "" for none, "?" for a type
/// that is not a std::exception.
inline std::string exception_what(const std::exception_ptr& exception) {
  if (!exception) return "";
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (const pep3156::BaseException& e) {
    return e.what();
  } catch (...) {
    return "?";
  }
}

/// Every context an exception handler received, in order.
struct ExceptionLog {
  std::vector<pep3156::ExceptionContext> contexts;

  /// A handler that appends to this log (which must outlive the handler).
  pep3156::ExceptionHandler handler() {
    return [this](pep3156::AbstractEventLoop&, const pep3156::ExceptionContext& context) {
      contexts.push_back(context);
    };
  }
  /// what() of each context's exception ("" where there is none).
  std::vector<std::string> whats() const {
    std::vector<std::string> all;
    for (const auto& context : contexts) all.push_back(exception_what(context.exception));
    return all;
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> all;
    for (const auto& context : contexts) all.push_back(context.message);
    return all;
  }
};

/// An executor that counts what it is asked to do and runs it on a thread
/// of its own.
class RecordingExecutor final : public pep3156::Executor {
 public:
  void submit(pep3156::UniqueFunction<void()> work) override {
    ++submitted;
    pool_.submit(std::move(work));
  }
  void shutdown(bool wait) override {
    shut_down = true;
    pool_.shutdown(wait);
  }

  std::atomic<int> submitted{0};
  std::atomic<bool> shut_down{false};

 private:
  pep3156::ThreadPoolExecutor pool_{1};
};

/// The descriptors open in this process (from /proc/self/fd); empty if
/// that cannot be read.
inline std::set<int> open_fds() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::stoi(entry->d_name);
    if (fd != own) fds.insert(fd);
  }
  ::closedir(dir);
  return fds;
}

/// Reads one byte from fd; returns whether there was one. A read that
/// fails spuriously (EINTR, or EAGAIN while the fd is still readable: the
/// kernel may return either) is tried again, so that a case never takes it
/// for an fd with nothing to read.
inline bool read_one(int fd) {
  char byte;
  for (;;) {
    ssize_t n = ::read(fd, &byte, 1);
    if (n == 1) return true;
    bool spurious =
        n < 0 && (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && readable_now(fd)));
    if (!spurious) return false;
  }
}

/// Spins for `seconds` of steady_clock time: a callback that "blocks".
/// Only for cases whose subject is the passing of time (never to wait for
/// something to happen).
inline void busy_wait(double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
  }
}

/// Seconds of steady_clock time since `since`.
inline double seconds_since(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace conformance
