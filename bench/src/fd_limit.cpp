#include "fd_limit.hpp"

#include <sys/resource.h>

#include <string>

namespace loopbench {

namespace {
constexpr rlim_t kHeadroom = 64;  // the loop's own fds, stdio, the benchmark's
}

void raise_fd_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);  // at worst the probes that need it say why they skip
}

bool require_fds(benchmark::State& state, long count) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  rlim_t needed = static_cast<rlim_t>(count) + kHeadroom;
  if (limit.rlim_cur >= needed) return true;
  state.SkipWithError(("needs " + std::to_string(needed) + " descriptors; RLIMIT_NOFILE is " +
                       std::to_string(limit.rlim_cur) + " (hard " + std::to_string(limit.rlim_max) + ")")
                          .c_str());
  return false;
}

}  // namespace loopbench
