// The event loop policy (PEP 3156, "Event Loop Policy").
#include "pep3156/policy.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace pep3156 {

namespace {
std::mutex global_mutex;
LoopFactory default_factory;                              // guarded by global_mutex
std::shared_ptr<AbstractEventLoopPolicy> current_policy;  // guarded by global_mutex
}  // namespace

namespace detail {
/// One DefaultEventLoopPolicy's current loops, one per thread
/// (POLICY-CONTEXT-PER-THREAD).
struct ThreadLoops {
  std::mutex mutex;
  std::map<std::thread::id, std::shared_ptr<AbstractEventLoop>> loops;  // guarded by mutex
  bool set_called = false;                                              // guarded by mutex
};
}  // namespace detail

namespace {
/// What a thread leaves behind as it exits: its entries in the policies it
/// used. Erasing them releases the thread's loops on the thread itself and
/// keeps a reused std::thread::id from inheriting them.
class ThreadExit {
 public:
  ThreadExit() = default;
  ThreadExit(const ThreadExit&) = delete;
  ThreadExit& operator=(const ThreadExit&) = delete;

  ~ThreadExit() {
    for (auto& weak : used_) {
      if (auto table = weak.lock()) {
        std::shared_ptr<AbstractEventLoop> released;
        std::lock_guard lock(table->mutex);
        auto it = table->loops.find(std::this_thread::get_id());
        if (it == table->loops.end()) continue;
        released = std::move(it->second);
        table->loops.erase(it);
      }  // the loop is destroyed here, after the lock is released
    }
  }

  void watch(const std::shared_ptr<detail::ThreadLoops>& table) {
    auto same = [&](const auto& weak) { return weak.lock() == table; };
    if (std::none_of(used_.begin(), used_.end(), same)) used_.push_back(table);
  }

 private:
  std::vector<std::weak_ptr<detail::ThreadLoops>> used_;
};

thread_local ThreadExit thread_exit;
}  // namespace

DefaultEventLoopPolicy::DefaultEventLoopPolicy(LoopFactory factory)
    : factory_(std::move(factory)), loops_(std::make_shared<detail::ThreadLoops>()) {}

std::shared_ptr<AbstractEventLoop> DefaultEventLoopPolicy::get_event_loop() {
  std::unique_lock lock(loops_->mutex);
  auto it = loops_->loops.find(std::this_thread::get_id());
  if (it != loops_->loops.end() && it->second) return it->second;
  // PEP 3156: "The default policy will create a new event loop only in the
  // main thread ... and only if get_event_loop() is called before
  // set_event_loop() is ever called."
  if (loops_->set_called || !is_main_thread() || it != loops_->loops.end()) {
    throw RuntimeError("There is no current event loop in this thread");
  }
  lock.unlock();
  auto loop = new_event_loop();
  lock.lock();
  loops_->loops[std::this_thread::get_id()] = loop;
  thread_exit.watch(loops_);
  return loop;
}

void DefaultEventLoopPolicy::set_event_loop(std::shared_ptr<AbstractEventLoop> loop) {
  std::shared_ptr<AbstractEventLoop> previous;  // released after the lock
  std::lock_guard lock(loops_->mutex);
  loops_->set_called = true;
  previous = std::exchange(loops_->loops[std::this_thread::get_id()], std::move(loop));
  thread_exit.watch(loops_);
}

std::shared_ptr<AbstractEventLoop> DefaultEventLoopPolicy::new_event_loop() {
  LoopFactory factory = factory_ ? factory_ : get_default_loop_factory();
  if (!factory) throw RuntimeError("new_event_loop(): no event loop implementation is installed");
  auto loop = factory();
  if (!loop) throw RuntimeError("new_event_loop(): the loop factory returned no loop");
  return loop;
}

void set_default_loop_factory(LoopFactory factory) {
  std::lock_guard lock(global_mutex);
  default_factory = std::move(factory);
}

LoopFactory get_default_loop_factory() {
  std::lock_guard lock(global_mutex);
  return default_factory;
}

std::shared_ptr<AbstractEventLoopPolicy> get_event_loop_policy() {
  std::lock_guard lock(global_mutex);
  if (!current_policy) current_policy = std::make_shared<DefaultEventLoopPolicy>();
  return current_policy;
}

void set_event_loop_policy(std::shared_ptr<AbstractEventLoopPolicy> policy) {
  std::shared_ptr<AbstractEventLoopPolicy> previous;  // released after the lock
  std::lock_guard lock(global_mutex);
  previous =
      std::exchange(current_policy, policy ? std::move(policy) : std::make_shared<DefaultEventLoopPolicy>());
}

std::shared_ptr<AbstractEventLoop> get_event_loop() {
  auto loop = get_event_loop_policy()->get_event_loop();
  if (!loop) throw RuntimeError("get_event_loop(): the policy returned no loop");
  return loop;
}

void set_event_loop(std::shared_ptr<AbstractEventLoop> loop) {
  get_event_loop_policy()->set_event_loop(std::move(loop));
}

std::shared_ptr<AbstractEventLoop> new_event_loop() { return get_event_loop_policy()->new_event_loop(); }

}  // namespace pep3156
