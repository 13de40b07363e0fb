#include "watchdog.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

namespace conformance {

Watchdog::Watchdog(double seconds, Expired expired) : seconds_(seconds), expired_(std::move(expired)) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t Watchdog::arm(std::string waiting_for) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                             std::chrono::duration<double>(seconds_));
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { watch(); });
  std::uint64_t id = next_id_++;
  armed_.push_back(Armed{id, deadline, std::move(waiting_for)});
  changed_.notify_all();
  return id;
}

void Watchdog::disarm(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  std::erase_if(armed_, [id](const Armed& a) { return a.id == id; });
  changed_.notify_all();
}

void Watchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (armed_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto first = std::min_element(armed_.begin(), armed_.end(),
                                  [](const Armed& a, const Armed& b) { return a.deadline < b.deadline; });
    if (std::chrono::steady_clock::now() < first->deadline) {
      changed_.wait_until(lock, first->deadline);
      continue;
    }
    // Still holding the lock: the case thread cannot disarm and carry on
    // while the process is being ended.
    std::ostringstream message;
    message << "the loop did not return within " << std::setprecision(3) << seconds_
            << " s while waiting for " << first->waiting_for;
    expired_(message.str());
  }
}

}  // namespace conformance
