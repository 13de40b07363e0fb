// Small helpers the vocabulary's tests share.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace pep3156::testing {

/// Installs an exception handler on `loop` that records describe(context)
/// for every report; the record outlives the loop.
inline std::shared_ptr<std::vector<std::string>> record_handler_calls(AbstractEventLoop& loop) {
  auto reports = std::make_shared<std::vector<std::string>>();
  loop.set_exception_handler([reports](AbstractEventLoop&, const ExceptionContext& context) {
    reports->push_back(describe(context));
  });
  return reports;
}

/// A value that records when it is destroyed, to show when a callback's
/// captures or a coroutine frame's locals are released.
class DestroyFlag {
 public:
  explicit DestroyFlag(std::shared_ptr<bool> destroyed) : destroyed_(std::move(destroyed)) {}
  DestroyFlag(DestroyFlag&&) noexcept = default;  // the moved-from copy records nothing
  DestroyFlag& operator=(DestroyFlag&&) = delete;
  ~DestroyFlag() {
    if (destroyed_) *destroyed_ = true;
  }

 private:
  std::shared_ptr<bool> destroyed_;
};

}  // namespace pep3156::testing
