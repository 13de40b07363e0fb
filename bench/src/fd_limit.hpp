// The connection probes open up to 2,000 descriptors (1,000 connections,
// both ends) and idle_fds 10,000: more than the usual soft RLIMIT_NOFILE
// of 1,024. main() raises the soft limit to the hard one once; a probe that
// still cannot have its descriptors is skipped, saying so, rather than
// failing halfway with EMFILE.
#pragma once

#include <benchmark/benchmark.h>

namespace loopbench {

/// Raises the soft RLIMIT_NOFILE to the hard limit (children, such as the
/// echo load generator, inherit it).
void raise_fd_limit() noexcept;

/// True if `count` more descriptors fit under the soft limit, with room
/// for the loop's own and stdio; false, with the benchmark skipped and the
/// limit given, if not.
bool require_fds(benchmark::State& state, long count);

}  // namespace loopbench
