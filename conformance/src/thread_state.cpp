// Linux exposes each thread's scheduler state in /proc/self/task/TID/stat
// (proc(5): the field after the parenthesised command name; 'S' is an
// interruptible sleep, which is where poll, epoll_wait and a condition
// variable wait all put a thread). Elsewhere the state cannot be observed,
// and the caller simply goes on.
#include "thread_state.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace conformance {

namespace {
#if defined(__linux__)
char thread_state(int tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return '?';
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return '?';
  return line[close + 2];
}
#endif
}  // namespace

int current_thread_id() noexcept {
#if defined(__linux__)
  return static_cast<int>(::syscall(SYS_gettid));
#else
  return 0;
#endif
}

bool wait_until_thread_blocked([[maybe_unused]] int tid, [[maybe_unused]] std::chrono::milliseconds limit) {
#if defined(__linux__)
  // A thread blocked on a lock for an instant is also 'S': ask for several
  // sightings in a row, a little apart.
  constexpr int kSightings = 3;
  constexpr auto kApart = std::chrono::microseconds(200);
  auto give_up = std::chrono::steady_clock::now() + limit;
  int seen = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    char state = thread_state(tid);
    if (state == '?') return false;
    seen = (state == 'S') ? seen + 1 : 0;
    if (seen == kSightings) return true;
    std::this_thread::sleep_for(kApart);
  }
#endif
  return false;
}

}  // namespace conformance
