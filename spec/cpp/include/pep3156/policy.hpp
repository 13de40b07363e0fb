// Event loop policy (PEP 3156, "Event Loop Policy: Interface for Managing
// the Current Event Loop").
//
// One policy per process decides what "the current event loop" is. The
// default policy's context is the thread: each thread has its own current
// loop, and a loop is created implicitly only in the main thread, only if
// get_event_loop() is called before set_event_loop() ever was.
//
// The default policy needs to know which loop to create: whoever provides a
// loop installs a LoopFactory (the reference loop: reference::install(); an
// adapter: its make_loop). Without one, new_event_loop() raises
// RuntimeError.
#pragma once

#include <functional>
#include <memory>

#include "pep3156/event_loop.hpp"

namespace pep3156 {

namespace detail {
struct ThreadLoops;  // policy.cpp: one policy's current loop for each thread
}  // namespace detail

using LoopFactory = std::function<std::shared_ptr<AbstractEventLoop>()>;

class AbstractEventLoopPolicy {
 public:
  virtual ~AbstractEventLoopPolicy() = default;
  /// The current context's loop; raises RuntimeError if there is none and
  /// the policy does not create one. Never returns null.
  virtual std::shared_ptr<AbstractEventLoop> get_event_loop() = 0;
  /// Null is allowed: get_event_loop() raises afterwards.
  virtual void set_event_loop(std::shared_ptr<AbstractEventLoop> loop) = 0;
  /// A new loop, not made current.
  virtual std::shared_ptr<AbstractEventLoop> new_event_loop() = 0;
};

/// The context is the thread. A thread's entry goes when the thread exits
/// (its loop is released there), so a later thread that happens to get the
/// same std::thread::id starts with no current loop.
class DefaultEventLoopPolicy : public AbstractEventLoopPolicy {
 public:
  /// Uses the process-wide default loop factory if `factory` is empty.
  explicit DefaultEventLoopPolicy(LoopFactory factory = {});

  std::shared_ptr<AbstractEventLoop> get_event_loop() override;
  void set_event_loop(std::shared_ptr<AbstractEventLoop> loop) override;
  std::shared_ptr<AbstractEventLoop> new_event_loop() override;

 private:
  LoopFactory factory_;
  std::shared_ptr<detail::ThreadLoops> loops_;
};

/// The factory DefaultEventLoopPolicy uses when given none.
void set_default_loop_factory(LoopFactory factory);
LoopFactory get_default_loop_factory();

/// The current policy (a DefaultEventLoopPolicy until one is set).
std::shared_ptr<AbstractEventLoopPolicy> get_event_loop_policy();
/// Null installs a fresh DefaultEventLoopPolicy.
void set_event_loop_policy(std::shared_ptr<AbstractEventLoopPolicy> policy);

/// Shorthands for the current policy's methods.
std::shared_ptr<AbstractEventLoop> get_event_loop();
void set_event_loop(std::shared_ptr<AbstractEventLoop> loop);
std::shared_ptr<AbstractEventLoop> new_event_loop();

/// True on the process's main thread (on Linux the one whose id is the
/// pid; on Windows the one that ran the static initializers).
bool is_main_thread() noexcept;

}  // namespace pep3156
