#include "loop_thread.hpp"

#include <unistd.h>

namespace loopbench {

LoopThread::LoopThread(pep3156::AbstractEventLoop& loop)
    : loop_(loop), thread_([this] {
        tid_.store(::gettid(), std::memory_order_release);
        loop_.run_forever();
      }) {}

LoopThread::~LoopThread() {
  // A stop() posted before run_forever() starts still ends it: the
  // callback waits in the loop's queue (LOOP-THREADSAFE-WAKEUP).
  loop_.call_soon_threadsafe([this] { loop_.stop(); });
  thread_.join();
}

}  // namespace loopbench
