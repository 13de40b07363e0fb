#include "conformance/context.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>

#include "hosted_loop.hpp"
#include "thread_state.hpp"
#include "watchdog.hpp"

namespace conformance {

namespace {
Context* the_context = nullptr;  // one case per process
}  // namespace

Watch::~Watch() {
  if (watchdog_ != nullptr) watchdog_->disarm(id_);
}

Context::Context(const pep3156::Adapter& adapter, ContextSettings settings, ResultSink& sink)
    : adapter_(adapter),
      settings_(settings),
      sink_(sink),
      watchdog_(std::make_unique<Watchdog>(
          settings.watchdog_seconds, [this](const std::string& message) { watchdog_expired(message); })),
      case_thread_(current_thread_id()) {
  the_context = this;
}

Context::~Context() {
  watchdog_.reset();
  the_context = nullptr;
}

Context& Context::current() {
  if (the_context == nullptr) {
    // A check outside a case is a bug in the kit itself.
    std::fputs("conformance: a check ran outside of a case\n", stderr);
    std::abort();
  }
  return *the_context;
}

// --- The loop under test -----------------------------------------------------

std::shared_ptr<pep3156::AbstractEventLoop> Context::new_loop() {
  if (adapter_.make_loop == nullptr) fail("the adapter has no make_loop");
  auto loop = adapter_.make_loop();
  require(loop != nullptr, "loop != nullptr", "the adapter's make_loop() returns a loop");
  // An embedded loop that a host application runs: the case runs it
  // through the host (decision D-LIFE-6).
  if (adapter_.capabilities.embedded && adapter_.run_hosted != nullptr) {
    loop = std::make_shared<HostedLoop>(std::move(loop), adapter_.run_hosted);
  }
  std::lock_guard lock(mutex_);
  loops_.push_back(loop);
  return loop;
}

std::shared_ptr<pep3156::AbstractEventLoopPolicy> Context::new_policy() {
  std::shared_ptr<pep3156::AbstractEventLoopPolicy> policy;
  if (adapter_.make_policy != nullptr) {
    policy = adapter_.make_policy();
    require(policy != nullptr, "policy != nullptr", "the adapter's make_policy() returns a policy");
  } else {
    policy = std::make_shared<pep3156::DefaultEventLoopPolicy>([this] { return new_loop(); });
  }
  std::lock_guard lock(mutex_);
  policy_ = policy;
  return policy;
}

// --- Checks ----------------------------------------------------------------------

bool Context::check(bool ok, std::string_view expression, std::string_view message,
                    std::source_location where) {
  if (ok) return true;
  std::string text(message);
  if (!expression.empty()) text += str(" [", expression, " is false]");
  record_failure(std::move(text), where);
  return false;
}

void Context::require(bool ok, std::string_view expression, std::string_view message,
                      std::source_location where) {
  if (!check(ok, expression, message, where)) throw Stop{};
}

void Context::fail(std::string_view message, std::source_location where) {
  record_failure(std::string(message), where);
  throw Stop{};
}

void Context::unsupported(std::string_view reason) { stop(Outcome::unsupported, reason); }
void Context::unresolved(std::string_view reason) { stop(Outcome::unresolved, reason); }

void Context::stop(Outcome outcome, std::string_view reason) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_as_ == Outcome::pass) {
      stopped_as_ = outcome;
      stop_reason_ = reason;
    }
  }
  throw Stop{};
}

void Context::record_exception(std::string message, std::source_location where) {
  bool not_implemented = false;
  try {
    throw;
  } catch (const pep3156::NotImplementedError&) {
    not_implemented = true;
  } catch (...) {
  }
  record_failure(std::move(message), where, not_implemented);
}

void Context::record_failure(std::string message, std::source_location where, bool not_implemented) {
  Failure failure{std::move(message), where.file_name(), static_cast<int>(where.line())};
  std::lock_guard lock(mutex_);
  if (failures_.empty()) first_failure_not_implemented_ = not_implemented;
  std::string located =
      failure.file.empty() ? failure.message : str(failure.file, ":", failure.line, ": ", failure.message);
  failures_.push_back(std::move(located));
  if (!finished_) sink_.failure(failure);
}

// --- The watchdog --------------------------------------------------------------------

Watch Context::watch(std::string waiting_for) {
  return Watch(*watchdog_, watchdog_->arm(std::move(waiting_for)));
}

void Context::embedded_cannot_run() {
  unresolved(
      "the embedded loop does not implement running it, and its adapter has no run_hosted hook to run it "
      "inside its host application (decision D-LIFE-6)");
}

void Context::run_forever(pep3156::AbstractEventLoop& loop, std::string waiting_for) {
  Watch guard = watch(std::move(waiting_for));
  try {
    loop.run_forever();
  } catch (const pep3156::NotImplementedError&) {
    if (!capabilities().embedded) throw;
    embedded_cannot_run();
  }
}

void Context::close(pep3156::AbstractEventLoop& loop) {
  try {
    loop.close();
  } catch (const pep3156::NotImplementedError&) {
    if (!capabilities().embedded) throw;
    unsupported(
        "the embedded loop leaves close() unimplemented, and the case checks what close() releases "
        "(decision D-LIFE-6)");
  }
}

void Context::join(std::thread& thread, std::string waiting_for) {
  Watch guard = watch(std::move(waiting_for));
  thread.join();
}

bool Context::wait_until_loop_blocked() {
  auto limit = std::chrono::milliseconds(static_cast<long>(settings_.watchdog_seconds * 1000 / 4));
  return wait_until_thread_blocked(case_thread_, limit);
}

void Context::watchdog_expired(const std::string& message) {
  CaseResult result;
  {
    std::lock_guard lock(mutex_);
    result.not_implemented = !failures_.empty() && first_failure_not_implemented_;
    failures_.push_back(message);
    if (!finished_) sink_.failure(Failure{message, "", 0});
  }
  result.outcome = Outcome::fail;
  result.message = message;
  finish(std::move(result));
  // The loop is stuck on the case's thread: nothing can be unwound or
  // destroyed safely, so leave at once.
  std::_Exit(1);
}

// --- Latency ---------------------------------------------------------------------------

void Context::record(std::string probe, std::vector<std::int64_t> samples_ns) {
  LatencyStats stats = summarize(std::move(probe), std::move(samples_ns));
  std::lock_guard lock(mutex_);
  latency_.push_back(std::move(stats));
}

// --- For the runner -----------------------------------------------------------------------

void Context::execute(CaseBody body) {
  try {
    body(*this);
  } catch (const Stop&) {
    // The outcome is already recorded.
  } catch (...) {
    record_exception("the case ended with an uncaught exception: " + describe_current_exception(),
                     std::source_location());
  }
}

int Context::tear_down() {
  // The process's policy goes back to a fresh default, releasing whatever
  // loops the case installed through it.
  pep3156::set_event_loop_policy(nullptr);
  std::vector<std::shared_ptr<pep3156::AbstractEventLoop>> loops;
  {
    std::lock_guard lock(mutex_);
    policy_.reset();
    loops.swap(loops_);
  }
  std::vector<std::weak_ptr<pep3156::AbstractEventLoop>> released;
  while (!loops.empty()) {
    std::shared_ptr<pep3156::AbstractEventLoop> loop = std::move(loops.back());
    loops.pop_back();
    // PEP 3156: embedded loops "may not implement the methods for ...
    // closing": theirs may raise NotImplementedError (decision D-LIFE-6).
    // Those that do close release their default executor here, as every
    // other loop does, so that no worker still holds the loop.
    if (!loop->is_closed()) {
      try {
        loop->close();
      } catch (const pep3156::NotImplementedError&) {
        if (!adapter_.capabilities.embedded) {
          record_failure("close() after the case threw " + describe_current_exception(),
                         std::source_location());
        }
      } catch (...) {
        record_failure("close() after the case threw " + describe_current_exception(),
                       std::source_location());
      }
    }
    released.push_back(loop);
  }
  int alive = 0;
  for (const auto& weak : released) alive += weak.expired() ? 0 : 1;
  return alive;
}

CaseResult Context::result() const {
  std::lock_guard lock(mutex_);
  CaseResult result;
  result.latency = latency_;
  if (!failures_.empty()) {
    result.outcome = Outcome::fail;
    result.message = failures_.front();
    result.not_implemented = first_failure_not_implemented_;
    if (failures_.size() > 1) result.message += str(" (and ", failures_.size() - 1, " more failures)");
  } else {
    result.outcome = stopped_as_;
    result.message = stop_reason_;
  }
  return result;
}

void Context::finish(CaseResult result) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  sink_.finish(result);
}

std::string Context::demangle(const char* mangled) {
  int status = 0;
  char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = (status == 0 && readable != nullptr) ? readable : mangled;
  std::free(readable);
  return name;
}

std::string Context::describe_current_exception() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  std::string name = type != nullptr ? demangle(type->name()) : "unknown exception";
  try {
    throw;
  } catch (const std::exception& e) {
    return name + ": " + e.what();
  } catch (const pep3156::BaseException& e) {
    return name + ": " + e.what();
  } catch (...) {
    return name;
  }
}

}  // namespace conformance
