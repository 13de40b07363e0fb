// The watchdog: a thread outside the loop under test that ends the case
// process when the loop does not return in time.
//
// It must live outside the loop: a timer of the kit's own on the loop would
// never fire on exactly the loops it is meant to catch (one that fails to
// wake up, one whose stop() is ignored). On expiry it calls `expired`,
// which reports a FAIL and exits the process; it never returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace conformance {

class Watchdog {
 public:
  using Expired = std::function<void(const std::string& message)>;

  Watchdog(double seconds, Expired expired);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Starts waiting for `waiting_for`; returns the id disarm() takes.
  std::uint64_t arm(std::string waiting_for);
  void disarm(std::uint64_t id);

 private:
  struct Armed {
    std::uint64_t id;
    std::chrono::steady_clock::time_point deadline;
    std::string waiting_for;
  };
  void watch();

  const double seconds_;
  const Expired expired_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Armed> armed_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;  // started by the first arm()
};

}  // namespace conformance
