// Whether a thread is blocked in the kernel: how a case knows the loop is
// asleep in its poller before another thread tries to wake it.
#pragma once

#include <chrono>

namespace conformance {

/// The calling thread's kernel id (0 where there is no such notion).
int current_thread_id() noexcept;

/// Waits until thread `tid` of this process is seen sleeping in the kernel
/// several times in a row, for at most `limit`. False if that was never
/// seen (a busy-polling loop) or cannot be observed on this platform.
bool wait_until_thread_blocked(int tid, std::chrono::milliseconds limit);

}  // namespace conformance
