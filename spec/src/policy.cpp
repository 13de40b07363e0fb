// The event loop policy (PEP 3156, "Event Loop Policy").
#include "pep3156/policy.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace pep3156 {

namespace {
std::mutex global_mutex;
LoopFactory default_factory;                              // guarded by global_mutex
std::shared_ptr<AbstractEventLoopPolicy> current_policy;  // guarded by global_mutex
}  // namespace

bool is_main_thread() noexcept { return ::syscall(SYS_gettid) == ::getpid(); }

DefaultEventLoopPolicy::DefaultEventLoopPolicy(LoopFactory factory) : factory_(std::move(factory)) {}

std::shared_ptr<AbstractEventLoop> DefaultEventLoopPolicy::get_event_loop() {
  std::unique_lock lock(mutex_);
  auto it = loops_.find(std::this_thread::get_id());
  if (it != loops_.end() && it->second) return it->second;
  // PEP 3156: "The default policy will create a new event loop only in the
  // main thread ... and only if get_event_loop() is called before
  // set_event_loop() is ever called."
  if (set_called_ || !is_main_thread() || it != loops_.end()) {
    throw RuntimeError("There is no current event loop in this thread");
  }
  lock.unlock();
  auto loop = new_event_loop();
  lock.lock();
  loops_[std::this_thread::get_id()] = loop;
  return loop;
}

void DefaultEventLoopPolicy::set_event_loop(std::shared_ptr<AbstractEventLoop> loop) {
  std::lock_guard lock(mutex_);
  set_called_ = true;
  loops_[std::this_thread::get_id()] = std::move(loop);
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
  std::lock_guard lock(global_mutex);
  current_policy = policy ? std::move(policy) : std::make_shared<DefaultEventLoopPolicy>();
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
