// is_main_thread() on Linux: the main thread's id is the process id.
#include <sys/syscall.h>
#include <unistd.h>

#include "pep3156/policy.hpp"

namespace pep3156 {

bool is_main_thread() noexcept { return ::syscall(SYS_gettid) == ::getpid(); }

}  // namespace pep3156
