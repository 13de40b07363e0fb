// DestroyFlag: a value that records when it is destroyed, to show when a
// callback's captures or a coroutine frame's locals are released.
#pragma once

#include <memory>
#include <utility>

namespace pep3156::testing {

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
