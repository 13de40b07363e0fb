// is_main_thread() on Windows, which has no "main thread" query: the thread
// that ran the static initializers, before main(), is the main thread.
#include <thread>

#include "pep3156/policy.hpp"

namespace pep3156 {

namespace {
const std::thread::id main_thread_id = std::this_thread::get_id();
}  // namespace

bool is_main_thread() noexcept { return std::this_thread::get_id() == main_thread_id; }

}  // namespace pep3156
